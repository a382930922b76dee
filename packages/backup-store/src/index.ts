// The backup engine: the store's layout and records, block codecs, encryption, workers, and
// delta-block and single-file backup, restore, delete, prune, forget and verify; and the retention
// policies that forget applies. Built on @convoy/core's driver and object-store contracts.

export type { CopyBackupsParams, CopyReport } from './backup/copy.js';
export { ENCRYPTION_MEMORY_FILE } from './backup/crypto/downgrade-guard.js';
export type { KeyInfo } from './backup/crypto/key-records.js';
export { checkUserKey, type UserKey } from './backup/crypto/user-key.js';
export { type BackupEngineOptions, createBackupEngine } from './backup/engine.js';
export { BLOCK_SIZE as BACKUP_BLOCK_SIZE } from './backup/layout.js';
export { validateCompression, validateLayout } from './backup/records.js';
export type { StandbySyncParams } from './backup/standby-sync.js';
export { DEFAULT_LOCK_OPTIONS, type LockOptions } from './backup/store-lock.js';
export * from './backup/types.js';
export * from './backup/url.js';
export type { VerifyParams, VerifyProblem, VerifyProblemKind, VerifyReport } from './backup/verify.js';
export * from './retention/policy.js';
export * from './retention/snapshot-forget.js';
