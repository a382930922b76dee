import type { StoreOperations } from './types.js';

/**
 * Every member of StoreOperations, typed so that one added to the interface and missing here
 * fails to compile: the guarded view below never drops an operation.
 */
const OPERATIONS: { readonly [K in keyof StoreOperations]-?: true } = {
  deleteBackup: true,
  listBackups: true,
  inspectBackup: true,
  pruneBackups: true,
  verifyBackups: true,
  initBackupStore: true,
  listBackupKeys: true,
  addBackupKey: true,
  removeBackupKey: true,
  forgetBackups: true,
  copyBackups: true,
};

/** The names of the store operations, for wrappers that treat every one alike. */
export const STORE_OPERATION_NAMES = Object.keys(OPERATIONS) as ReadonlyArray<keyof StoreOperations>;

/**
 * The store operations with each call run through `guard` (the VolumeManager's: refused once it
 * closes, and only ConvoyErrors let out), so they keep the rules every daemon operation keeps.
 */
export function guardedStoreOperations(ops: StoreOperations, guard: <T>(work: () => Promise<T>) => Promise<T>): StoreOperations {
  const guarded: Record<string, unknown> = {};
  for (const name of STORE_OPERATION_NAMES) {
    const method = (ops[name] as (...args: unknown[]) => Promise<unknown>).bind(ops);
    guarded[name] = (...args: unknown[]) => guard(() => method(...args));
  }
  return guarded as unknown as StoreOperations;
}
