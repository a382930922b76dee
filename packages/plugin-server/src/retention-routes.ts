import type { RetentionPolicy } from '@convoy/core';
import { storeParams, type ApiRoute, type Body } from './api-routes.js';
import { closedObject, encryptionKey, endpoint, text } from './api-schemas.js';

/** A keep count: the schema admits any integer so that the manager names a negative one. */
const count = { type: 'integer' } as const;
/** The body's policy, as `validateRetentionPolicy` in core checks it. */
export const retentionPolicySchema = closedObject({ last: count, hourly: count, daily: count, weekly: count, monthly: count, yearly: count, within: text });

export const backupForgetBody = closedObject({ dest: text, volumeName: text, policy: retentionPolicySchema, dryRun: { type: 'boolean' }, endpoint, encryptionKey }, ['dest', 'volumeName', 'policy']);
export const snapshotForgetBody = closedObject({ volume: text, policy: retentionPolicySchema, dryRun: { type: 'boolean' } }, ['volume', 'policy']);

/** `backup forget` and `snapshot forget`: retention policies applied on demand. */
export const RETENTION_ROUTES: ApiRoute[] = [
  {
    method: 'POST',
    path: '/backups/forget',
    body: backupForgetBody,
    run: (s, b: Body) =>
      s.forgetBackups(String(b.dest), {
        volumeName: String(b.volumeName),
        policy: b.policy as RetentionPolicy,
        dryRun: b.dryRun === true,
        ...storeParams(b),
      }),
  },
  {
    method: 'POST',
    path: '/snapshots/forget',
    body: snapshotForgetBody,
    run: (s, b: Body) => s.forgetSnapshots(String(b.volume), { policy: b.policy as RetentionPolicy, dryRun: b.dryRun === true }),
  },
];
