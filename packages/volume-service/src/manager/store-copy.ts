// The daemon's `backup copy`: two stores opened the one way every store is (their packages, the
// daemon's settings), checked before either is touched; the engine's copy.ts does the copying.

import type { CopyReport } from '@convoy/backup-store';
import { parseBackupUrl, parseStoreUrl, validateLayout } from '@convoy/backup-store';
import type { ProgressListener, StoreLayout } from '@convoy/core';
import { ConvoyError, validateName } from '@convoy/core';
import { keyParams, type StoreMaintenanceContext } from './store-maintenance.js';
import type { EncryptionKeyParam } from './types.js';

export interface CopyBackupsRequest {
  /** The source store URL. */
  from: string;
  /** The target store URL. */
  to: string;
  /** Only this volume's backups. */
  volumeName?: string;
  /** Only this backup (a backup URL in the source store). */
  backupUrl?: string;
  fromEndpoint?: string;
  toEndpoint?: string;
  /** Opens the source (and, without `targetEncryptionKey`, the target); the daemon's own key when absent. */
  encryptionKey?: EncryptionKeyParam;
  /** Opens, or for a store without keys creates, the target's keys. */
  targetEncryptionKey?: EncryptionKeyParam;
  /** Seal a clear source's backups for a target that holds the volume encrypted. */
  encrypt?: boolean;
  /** Layout of a volume new to the target (default packs). */
  layout?: StoreLayout;
  /** Aborted when the caller gives up (Ctrl-C, its client gone): the copy stops; what it finished stays. */
  signal?: AbortSignal;
}

/** Every field checked before a store is opened: bad input names itself and writes nothing. */
export async function copyBackups(ctx: StoreMaintenanceContext, req: CopyBackupsRequest, onProgress?: ProgressListener): Promise<CopyReport> {
  const from = storeUrl(req.from, 'source (--from)');
  const to = storeUrl(req.to, 'target (--to)');
  const one = req.backupUrl === undefined || req.backupUrl === '' ? undefined : parseBackupUrl(req.backupUrl);
  if (one && one.storeUrl !== from)
    throw new ConvoyError('INVALID_ARGUMENT', `backup ${req.backupUrl} is not in the source store ${from}`, { details: { backup: req.backupUrl, from } });
  if (one && req.volumeName !== undefined && req.volumeName !== one.volumeName) {
    throw new ConvoyError('INVALID_ARGUMENT', `the backup URL names volume ${one.volumeName}, not ${req.volumeName}`);
  }
  const volumeName = one?.volumeName ?? (req.volumeName === undefined ? undefined : validateName(req.volumeName, 'volume'));
  const layout = req.layout === undefined ? undefined : validateLayout(req.layout);
  const { encryptionKey } = keyParams(req.encryptionKey);
  const { encryptionKey: targetEncryptionKey } = keyParams(req.targetEncryptionKey, 'targetEncryptionKey');
  return ctx.withStore(from, endpoint(req.fromEndpoint), (source) =>
    ctx.withStore(to, endpoint(req.toEndpoint), (target) =>
      ctx.engine.copyBackups({
        from: source,
        to: target,
        owner: ctx.owner,
        ...(volumeName === undefined ? {} : { volumeName }),
        ...(one ? { backupName: one.backupName } : {}),
        ...(encryptionKey ? { encryptionKey } : {}),
        ...(targetEncryptionKey ? { targetEncryptionKey } : {}),
        ...(req.encrypt ? { encrypt: true } : {}),
        ...(layout === undefined ? {} : { layout }),
        ...(onProgress ? { onProgress } : {}),
        ...ctx.signal(req.signal),
      }),
    ),
  );
}

function storeUrl(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConvoyError('INVALID_ARGUMENT', `a ${what} store URL is required`);
  if (value.includes('?')) throw new ConvoyError('INVALID_ARGUMENT', `the ${what} is a store URL, not a backup URL (${value}); name one backup with --backup`);
  parseStoreUrl(value);
  return value;
}

const endpoint = (value: string | undefined) => (value === undefined || value === '' ? {} : { endpoint: value });
