// What tests of Convoy code need: the compliance suites every driver and object store runs
// against itself, an in-memory object store and an image source for engine tests.

// Directory volumes exported and imported with the real archive helpers (single-file engine tests).
export * from './directory-ops.js';
export * from './driver-compliance.js';
export * from './expect-code.js';
export * from './image-source.js';
export * from './memory-store.js';
export * from './objectstore-compliance.js';
// Bytes read from a store, for assertions on what a restore or a standby sync fetched.
export * from './read-counting-store.js';
// The INVALID_ARGUMENT assertion and a refusal with its expected code.
export * from './refusal.js';
export * from './temp-dir.js';
// A directory tree as sorted lines (links, sizes, a digest of each file), to compare a restore with its source.
export * from './tree.js';
