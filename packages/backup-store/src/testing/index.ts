// What tests that look inside a backup store need: the store's layout (which blocks, locks and
// records exist).
export { BLOCK_SIZE, backupConfigKey, blocksDir, checksumFromBlockKey, locksDir, volumeConfigKey, volumeDir } from '../backup/layout.js';
// The encryption tests every store runs against the real engine.
export * from './encrypted-backup-suite.js';
