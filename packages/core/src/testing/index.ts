// The compliance suites every driver and object store runs against itself (filled in by the
// foundation work); see driver-compliance.ts and objectstore-compliance.ts.
export * from './driver-compliance.js';
export * from './objectstore-compliance.js';
export * from './image-source.js';
