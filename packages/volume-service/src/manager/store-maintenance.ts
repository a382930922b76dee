import type { BackupEngine, KeyInfo, VerifyReport } from '@convoy/backup-store';
import { checkUserKey, parseBackupUrl, parseStoreUrl, type UserKey } from '@convoy/backup-store';
import type { ObjectStore, ProgressListener } from '@convoy/core';
import { ConvoyError, validateName } from '@convoy/core';
import type { AddBackupKeyParams, BackupStoreParams, EncryptionKeyParam, VerifyBackupsParams } from './types.js';

/**
 * The store-wide operations that are not about one volume of this host: verify, encryption
 * set-up and key management. The BackupService hands them its engine and its one way of opening
 * stores (resolveStoreTarget + withOpenStore: the store package checks the endpoint); nothing
 * here touches a driver.
 */
export interface StoreMaintenanceContext {
  engine: BackupEngine;
  owner: string;
  /** The engine's signal for an operation the caller may give up (operation-signal.ts). */
  signal(caller: AbortSignal | undefined): { signal?: AbortSignal };
  withStore<T>(storeUrl: string, params: BackupStoreParams, use: (store: ObjectStore) => Promise<T>): Promise<T>;
}

/** The engine's view of a key the API carried; `{}` when none came, so the daemon's own is used. */
export function keyParams(param: EncryptionKeyParam | undefined, what = 'encryptionKey'): { encryptionKey?: UserKey } {
  return param === undefined ? {} : { encryptionKey: userKeyOf(param, what) };
}

/**
 * One UserKey per key object a request carried: the engine keeps one keyring per UserKey, so the
 * calls one request makes with its key (a standby sync lists, inspects, then syncs) stretch a
 * passphrase once, not once per call. Weak: the key goes with the request.
 */
const decodedKeys = new WeakMap<EncryptionKeyParam, UserKey>();

function userKeyOf(param: EncryptionKeyParam, what: string): UserKey {
  if (typeof param !== 'object' || param === null || (param.kind !== 'passphrase' && param.kind !== 'key-file') || typeof param.secret !== 'string') {
    throw new ConvoyError('INVALID_ARGUMENT', `${what} must be {kind: "passphrase" | "key-file", secret: base64}`);
  }
  let key = decodedKeys.get(param);
  if (!key) decodedKeys.set(param, (key = checkUserKey({ kind: param.kind, secret: Buffer.from(param.secret, 'base64') })));
  return key;
}

export async function verifyBackups(
  ctx: StoreMaintenanceContext,
  target: string,
  params: VerifyBackupsParams,
  onProgress?: ProgressListener,
): Promise<VerifyReport> {
  if (typeof target !== 'string' || target === '') throw new ConvoyError('INVALID_ARGUMENT', 'a store URL or backup URL to verify is required');
  // A store URL has no query; a backup URL always does.
  const one = target.includes('?') ? parseBackupUrl(target) : undefined;
  const storeUrl = one ? one.storeUrl : target;
  parseStoreUrl(storeUrl);
  if (one && params.volumeName !== undefined && params.volumeName !== one.volumeName) {
    throw new ConvoyError('INVALID_ARGUMENT', `the backup URL names volume ${one.volumeName}, not ${params.volumeName}`);
  }
  const volumeName = one?.volumeName ?? (params.volumeName === undefined ? undefined : validateName(params.volumeName, 'volume'));
  return ctx.withStore(storeUrl, params, (store) =>
    ctx.engine.verify({
      store,
      destUrl: storeUrl,
      owner: ctx.owner,
      ...(volumeName === undefined ? {} : { volumeName }),
      ...(one ? { backupName: one.backupName } : {}),
      ...(params.deep === undefined ? {} : { deep: params.deep }),
      ...(params.sample === undefined ? {} : { sample: params.sample }),
      ...(onProgress ? { onProgress } : {}),
      ...ctx.signal(params.signal),
      ...keyParams(params.encryptionKey),
    }),
  );
}

export function initBackupStore(ctx: StoreMaintenanceContext, dest: string, params: BackupStoreParams): Promise<{ masterKeyId: string }> {
  return ctx.withStore(checkedStoreUrl(dest), params, (store) => ctx.engine.initStore({ store, ...keyParams(params.encryptionKey) }));
}

export function listBackupKeys(ctx: StoreMaintenanceContext, dest: string, params: BackupStoreParams): Promise<KeyInfo[]> {
  return ctx.withStore(checkedStoreUrl(dest), params, (store) => ctx.engine.listKeys({ store }));
}

export function addBackupKey(ctx: StoreMaintenanceContext, dest: string, params: AddBackupKeyParams): Promise<KeyInfo> {
  const { encryptionKey: newKey } = keyParams(params.newKey, 'newKey');
  if (!newKey) throw new ConvoyError('INVALID_ARGUMENT', 'adding a key needs the new key (newKey)');
  if (params.label !== undefined && (typeof params.label !== 'string' || params.label.length > 200))
    throw new ConvoyError('INVALID_ARGUMENT', 'a key label is a string of at most 200 characters');
  return ctx.withStore(checkedStoreUrl(dest), params, (store) =>
    ctx.engine.addKey({ store, newKey, ...(params.label === undefined ? {} : { label: params.label }), ...keyParams(params.encryptionKey) }),
  );
}

export function removeBackupKey(ctx: StoreMaintenanceContext, dest: string, keyId: string, params: BackupStoreParams): Promise<void> {
  if (typeof keyId !== 'string' || !/^[0-9a-f]{16}$/.test(keyId))
    throw new ConvoyError('INVALID_ARGUMENT', `${JSON.stringify(keyId)} is not a key id (16 hex characters; convoy backup key list shows them)`);
  return ctx.withStore(checkedStoreUrl(dest), params, (store) => ctx.engine.removeKey({ store, keyId, ...keyParams(params.encryptionKey) }));
}

function checkedStoreUrl(dest: unknown): string {
  if (typeof dest !== 'string' || dest.trim() === '') throw new ConvoyError('INVALID_ARGUMENT', 'a backup store URL is required');
  parseStoreUrl(dest);
  return dest;
}
