/** The store flags of the `backup` commands (`--s3-endpoint`, `--encryption-key-file`), how requests carry them, and the help text naming store and backup URLs. */
import type { EncryptionKeyParam } from '@convoy/volume-service';

export interface KeyedStoreArgs {
  s3Endpoint?: string;
  encryptionKeyFile?: string;
}

export const STORE_FORMS =
  'Stores: vfs:///abs/path (a local or NFS directory) or s3://bucket@region/prefix (s3://bucket/prefix takes the region from AWS_REGION).';

export const BACKUP_URL_FORMS =
  'Backup URLs: <store>?backup=<name>&volume=<name>, where <store> is vfs:///abs/path (a local or NFS directory) ' +
  'or s3://bucket@region/prefix (or s3://bucket/prefix with the region from AWS_REGION). ' +
  "Quote them in the shell; Convoy's \\u0026 spelling of & is accepted too.";

/** The store fields of Convoy's own requests (verify, init, key, forget). */
export const storeParams = (args: KeyedStoreArgs) => (args.s3Endpoint === undefined ? {} : { endpoint: args.s3Endpoint });

/** The store fields of Go's backup requests, with Convoy's EncryptionKey addition when a key was given. */
export const goStore = (args: KeyedStoreArgs, key: { encryptionKey?: EncryptionKeyParam }) => ({
  ...(args.s3Endpoint === undefined ? {} : { Endpoint: args.s3Endpoint }),
  ...(key.encryptionKey === undefined ? {} : { EncryptionKey: key.encryptionKey }),
});
