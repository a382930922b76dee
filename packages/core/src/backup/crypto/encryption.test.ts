import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { openFsObjectStore } from '@convoy/objectstore-fs';
import { encryptedBackupSuite } from '../../../../../test-support/encrypted-backup-suite.js';
import { tempDir } from '../../../../../test-support/tmp.js';

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
