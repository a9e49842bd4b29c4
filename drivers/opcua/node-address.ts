/**
 * How points name their variables, checked without loading node-opcua (the config loader uses
 * this): NodeId strings in the standard notation and browse paths from the Objects folder.
 */

/** `ns=2;s=Name`, `ns=3;i=1001`, `i=2258`, `ns=1;g=<guid>`, `ns=1;b=<base64>` (ns defaults to 0). */
const NODE_ID = /^(?:ns=\d{1,5};)?(?:i=\d{1,10}|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+={0,2})$/s;

export function isNodeIdText(text: string): boolean {
  return NODE_ID.test(text);
}

export interface BrowseSegment {
  /** namespace index when written as `2:Name`; undefined matches the name in any namespace */
  namespace?: number;
  name: string;
}

/**
 * Parses `Cooling/CRAC-3/SupplyAirTemp` or `2:Cooling/2:CRAC-3/2:SupplyAirTemp` (a leading `/` is
 * allowed). Returns a message instead when the text is not a path.
 */
export function parseBrowsePath(text: string): BrowseSegment[] | string {
  const trimmed = text.startsWith('/') ? text.slice(1) : text;
  if (trimmed === '') return 'is empty';
  const segments: BrowseSegment[] = [];
  for (const part of trimmed.split('/')) {
    if (part === '') return 'has an empty segment ("//")';
    const m = /^(\d{1,5}):(.+)$/.exec(part);
    if (m) segments.push({ namespace: Number(m[1]), name: m[2]! });
    else segments.push({ name: part });
  }
  return segments;
}

/** The canonical text of a path (for messages and as a cache key). */
export function formatBrowsePath(segments: readonly BrowseSegment[]): string {
  return segments.map((s) => (s.namespace === undefined ? s.name : `${s.namespace}:${s.name}`)).join('/');
}
