import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { encryptedBackupSuite } from '@convoy/backup-store/testing';
import { openFsObjectStore } from '@convoy/objectstore-fs';
import { tempDir } from '@convoy/test-support/tmp';

const scratch = await tempDir('convoy-encryption-');

encryptedBackupSuite(
  'a vfs store',
  {
    freshUrl: async () => {
      const dir = path.join(await mkdtemp(path.join(scratch, 'store-')), 'store');
      await mkdir(dir);
      return `vfs://${dir}`;
    },
    open: (url) => openFsObjectStore(new URL(url)),
  },
  scratch,
);
