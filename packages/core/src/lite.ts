/**
 * The parts of core that load nothing heavy (no backup engine, codecs, archive code or drivers):
 * errors, sizes, durations, name rules, option listings, the model's types and constants (COMPRESSION_METHODS)
 * and the JSON logger. Clients that must start fast (the `convoy` CLI talking to a
 * daemon) import `@convoy/core/lite` instead of `@convoy/core`.
 */

export * from './bounded/index.js';
export * from './errors.js';
export * from './log.js';
export * from './model.js';
export * from './names.js';
export * from './options.js';
export { parseStoreTime } from './store-time.js';
