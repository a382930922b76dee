/** `convoy backup inspect <url>`: Go Convoy's backup JSON when piped. */
import type { BackupInfo } from '@convoy/plugin-server/client';
import { withEncryptionKey } from '../../encryption-key.js';
import { renderRecord } from '../../render.js';
import { oneNameCommand } from '../shared/one-name-command.js';
import { BACKUP_URL_FORMS, goStore, type KeyedStoreArgs } from '../shared/store-args.js';

export const inspect = oneNameCommand<BackupInfo, KeyedStoreArgs>({
  verb: 'inspect',
  arg: 'url',
  describe: 'Show a backup: volume, snapshot, sizes, compression, times',
  epilogue: BACKUP_URL_FORMS,
  call: (client, url, args, out) =>
    withEncryptionKey(args.encryptionKeyFile, out.interactive, (key) => client.call('inspectBackup', { URL: url, ...goStore(args, key) })),
  print: (backup) => ({ go: backup, table: () => renderRecord(backup) }),
});
