/** The anomaly detectors, one per kind; each is a Detector fed every good sample of its point. */
export { createBandDetector } from './band.js';
export { createDriftDetector } from './drift.js';
export { createPeerDetector } from './peer.js';
export { createSpikeDetector } from './spike.js';
