import { ConvoyError, validateName } from '@convoy/core';

export interface BackupLocation {
  /** The store URL without the backup query, as the user wrote it. */
  storeUrl: string;
  backupName: string;
  volumeName: string;
}

/** Convoy escaped the first `&` as `\u0026` (or `u0026` after a shell ate the backslash). */
export function unescapeBackupUrl(url: string): string {
  return url.replace(/\\?u0026/g, '&');
}

/** Parses `<store-url>?backup=<name>&volume=<name>`; names must pass the name rules. */
export function parseBackupUrl(input: string): BackupLocation {
  const raw = unescapeBackupUrl(input.trim());
  const q = raw.indexOf('?');
  if (q < 0) throw new ConvoyError('INVALID_ARGUMENT', `backup URL ${JSON.stringify(input)} has no ?backup=<name>&volume=<name> query`);
  const params = new URLSearchParams(raw.slice(q + 1));
  const backup = params.get('backup');
  const volume = params.get('volume');
  if (!backup || !volume) {
    throw new ConvoyError('INVALID_ARGUMENT', `backup URL ${JSON.stringify(input)} must name both backup and volume (?backup=<name>&volume=<name>)`);
  }
  return { storeUrl: raw.slice(0, q), backupName: validateName(backup, 'backup'), volumeName: validateName(volume, 'volume') };
}

/** Builds the backup URL Convoy printed: keys sorted, so `?backup=...&volume=...`. */
export function formatBackupUrl(storeUrl: string, backupName: string, volumeName: string): string {
  const params = new URLSearchParams({ backup: backupName, volume: volumeName });
  return `${storeUrl}?${params.toString()}`;
}

/** Parses a store URL and checks its scheme is present; the store package validates the rest. */
export function parseStoreUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(unescapeBackupUrl(input.trim()));
  } catch {
    throw new ConvoyError('INVALID_ARGUMENT', `malformed backup store URL ${JSON.stringify(input)}; expected vfs:///abs/path or s3://bucket@region/prefix`);
  }
  return url;
}
