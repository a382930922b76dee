// The /v1 request types are read from the JSON schemas fastify validates with (go-types.ts):
// these checks fail to compile (root `pnpm typecheck`) if a derived type loses its fields or
// their literal types, e.g. when a schema stops being a literal.

import type { RetentionPolicy } from '@convoy/backup-store';
import type { ScheduleSpec } from '@convoy/volume-service';
import { describe, expectTypeOf, it } from 'vitest';
import type { BackupCreateRequest, BackupForgetRequest, ScheduleCreateRequest, VolumeCreateRequest, VolumeResizeRequest } from './go-types.js';

describe('request types derived from the schemas', () => {
  it('keep required and optional fields, enums and nested objects', () => {
    expectTypeOf<VolumeResizeRequest>().toEqualTypeOf<{ VolumeName: string; Size: number }>();
    expectTypeOf<BackupCreateRequest['Compression']>().toEqualTypeOf<'lz4' | 'zstd' | 'gzip' | 'none' | undefined>();
    expectTypeOf<BackupCreateRequest['URL']>().toEqualTypeOf<string>();
    expectTypeOf<VolumeCreateRequest['Options']>().toEqualTypeOf<{ [key: string]: string } | undefined>();
    expectTypeOf<NonNullable<VolumeCreateRequest['EncryptionKey']>>().toEqualTypeOf<{ kind: 'passphrase' | 'key-file'; secret: string }>();
    expectTypeOf<BackupForgetRequest['policy']>().toExtend<RetentionPolicy>();
    expectTypeOf<ScheduleCreateRequest>().toExtend<ScheduleSpec>();
  });
});
