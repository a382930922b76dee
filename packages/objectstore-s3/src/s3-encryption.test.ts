import { encryptedBackupSuite } from '@convoy/backup-store/testing';
import { S3RVER_CREDENTIALS, startS3rver } from '@convoy/test-support/s3rver';
import { tempDir } from '@convoy/test-support/tmp';
import { openS3ObjectStore } from './index.js';

process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;

const server = await startS3rver({ buckets: ['backups'] });
let serial = 0;

encryptedBackupSuite(
  'S3 (s3rver on 127.0.0.1)',
  {
    freshUrl: async () => `s3://backups@us-east-1/enc${serial++}/convoy`,
    open: (url) => openS3ObjectStore(new URL(url), { endpoint: server.endpoint }),
  },
  await tempDir('convoy-s3-encryption-'),
);
