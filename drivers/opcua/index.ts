export * from './point.js';
export { APPLICATION_NAME, type OpcuaSession, type OpenSessionOptions, openOpcuaSession } from './client.js';
export { classifyOpcuaError } from './errors.js';
export { createOpcuaDriver, type OpcuaDriverOptions } from './driver.js';
export { createOpcuaPki, type OpcuaPki } from './pki.js';
export { formatPointsYaml, formatTree, type PointsYamlOptions, toKey } from './browse-format.js';
export { qualityOf, statusName, toSample, variantValue } from './data-value.js';
export { routeLibraryLogs } from './library-logs.js';
export { type BrowsedNode, type BrowseOptions, browseTree } from './browse-tree.js';
