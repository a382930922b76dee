import { ConvoyError, isConvoyError, type KeyedMutex, type Logger, type VolumeRecord } from '@convoy/core';
import type { ScheduleService, VolumeService } from '@convoy/volume-service';
import type { FastifyInstance } from 'fastify';
import { createParamsFromDockerOpts } from './docker-opts.js';
import { attachDockerSchedule } from './docker-schedule.js';
import { scheduleFromDockerOpts } from './docker-schedule-opts.js';

import type { MountRefs } from './mount-refs.js';
import { unlessNotFound } from './not-found.js';
import { classifyRequestError } from './request-errors.js';

export interface DockerPluginOptions {
  service: VolumeService;
  /** Takes `-o schedule=...`; without it such options are refused. */
  schedules?: ScheduleService;
  refs: MountRefs;
  /** Shared with everything else that changes a volume's Docker mounts. */
  perVolume: KeyedMutex;
  /** `docker volume rm` becomes a no-op (Convoy's --ignore-docker-delete). */
  ignoreDockerDelete: boolean;
  /** Mount of an unknown volume creates it (Convoy's --create-on-docker-mount). */
  createOnDockerMount: boolean;
  bodyLimit: number;
  log: Logger;
}

interface NameBody {
  Name: string;
}
interface CreateBody extends NameBody {
  Opts?: Record<string, string> | null;
}
interface MountBody extends NameBody {
  ID?: string;
}

// Docker may add fields in later versions, so only what Convoy reads is checked.
const nameSchema = { type: 'object', required: ['Name'], properties: { Name: { type: 'string' } } };
const createSchema = {
  type: 'object',
  required: ['Name'],
  properties: { Name: { type: 'string' }, Opts: { type: ['object', 'null'], additionalProperties: { type: 'string' } } },
};
const mountSchema = { type: 'object', required: ['Name'], properties: { Name: { type: 'string' }, ID: { type: 'string' } } };

/** Docker before 1.12 sent no mount ID; such mounts share one holder slot. */
const ANONYMOUS_MOUNT_ID = 'docker-mount-without-id';

/** Docker decodes CreatedAt into a Go time.Time: RFC 3339. */
function rfc3339(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function dockerVolume(volume: VolumeRecord, holders: number) {
  return {
    Name: volume.name,
    Mountpoint: volume.mountpoint ?? '',
    CreatedAt: rfc3339(volume.createdAt),
    Status: {
      driver: volume.driver,
      size: volume.size,
      snapshots: volume.snapshots.map((s) => s.name),
      dockerMounts: holders,
      // Only on standby volumes: which backup the volume holds and when it last synced.
      ...(volume.standby
        ? {
            standbyBackup: volume.standby.backupUrl,
            standbyBackupCreatedAt: volume.standby.backupCreatedAt,
            standbySyncedAt: volume.standby.syncedAt,
            ...(volume.standby.status ? { standbyStatus: volume.standby.status } : {}),
            ...(volume.standby.syncing ? { standbyInterruptedSyncTo: volume.standby.syncing.to } : {}),
          }
        : {}),
    },
  };
}

/**
 * Docker's legacy volume-plugin protocol (`/Plugin.Activate`, `/VolumeDriver.*`). Every call is
 * a POST whose body is JSON without a Content-Type; every answer is HTTP 200, errors in `Err`.
 */
export async function dockerPluginRoutes(app: FastifyInstance, opts: DockerPluginOptions): Promise<void> {
  const { service, refs, perVolume, log } = opts;

  app.setErrorHandler((err, req, reply) => {
    const { error } = classifyRequestError(err, opts.bodyLimit);
    log.warn('docker request failed', { url: req.url, code: error.code, error: error.message });
    return reply.code(200).send({ Err: error.message });
  });

  app.post('/Plugin.Activate', async () => ({ Implements: ['VolumeDriver'] }));

  app.post('/VolumeDriver.Capabilities', async () => ({ Capabilities: { Scope: 'local' } }));

  app.post<{ Body: CreateBody }>('/VolumeDriver.Create', { schema: { body: createSchema } }, async (req) => {
    const { volumeOpts, schedule } = scheduleFromDockerOpts(req.body.Name, req.body.Opts);
    const params = createParamsFromDockerOpts(req.body.Name, volumeOpts);
    await perVolume.run(req.body.Name, async () => {
      let created = false;
      if (!(await service.findVolume(req.body.Name))) {
        try {
          await service.createVolume(params);
          created = true;
        } catch (err) {
          if (!isConvoyError(err, 'ALREADY_EXISTS')) throw err;
        }
      }
      if (schedule) await attachDockerSchedule({ service, schedules: opts.schedules, schedule, created, log });
    });
    return { Err: '' };
  });

  app.post<{ Body: NameBody }>('/VolumeDriver.Remove', { schema: { body: nameSchema } }, async (req) => {
    if (opts.ignoreDockerDelete) return { Err: '' };
    const name = req.body.Name;
    await perVolume.run(name, async () => {
      const leaked = [...refs.holders(name)];
      if (leaked.length > 0) {
        // dockerd checks that no container uses a volume before it sends Remove, so holders
        // left here came from Mounts that Docker abandoned (its 120 s timeout): release them.
        log.warn('docker removed a volume Convoy still counted as mounted; releasing the stale mounts', { volume: name, ids: leaked });
        await service.umountVolume(name).catch(unlessNotFound);
        await refs.forget(name);
      }
      await service.deleteVolume(name, { referenceOnly: true }).catch(unlessNotFound);
    });
    return { Err: '' };
  });

  app.post<{ Body: MountBody }>('/VolumeDriver.Mount', { schema: { body: mountSchema } }, async (req) => {
    const name = req.body.Name;
    const id = req.body.ID || ANONYMOUS_MOUNT_ID;
    const mountpoint = await perVolume.run(name, async () => {
      if (!(await service.findVolume(name))) {
        if (!opts.createOnDockerMount) {
          throw new ConvoyError('NOT_FOUND', `volume ${name} does not exist (create it first, or start the daemon with --create-on-docker-mount)`);
        }
        await service.createVolume({ name });
      }
      const firstHolder = refs.holders(name).size === 0;
      // Mounting a mounted volume returns its mountpoint, so this also heals a lost mount.
      const path = await service.mountVolume(name);
      try {
        await refs.add(name, id);
      } catch (err) {
        if (firstHolder) await service.umountVolume(name).catch(() => undefined);
        throw err;
      }
      return path;
    });
    return { Mountpoint: mountpoint, Err: '' };
  });

  app.post<{ Body: MountBody }>('/VolumeDriver.Unmount', { schema: { body: mountSchema } }, async (req) => {
    const name = req.body.Name;
    const id = req.body.ID || ANONYMOUS_MOUNT_ID;
    await perVolume.run(name, async () => {
      const holders = refs.holders(name);
      // An ID Convoy never counted must not unmount the volume under another container.
      if (!holders.has(id)) return;
      if (holders.size === 1) await service.umountVolume(name).catch(unlessNotFound);
      await refs.remove(name, id);
    });
    return { Err: '' };
  });

  app.post<{ Body: NameBody }>('/VolumeDriver.Path', { schema: { body: nameSchema } }, async (req) => {
    const volume = await service.getVolume(req.body.Name);
    return { Mountpoint: volume.mountpoint ?? '', Err: '' };
  });

  app.post<{ Body: NameBody }>('/VolumeDriver.Get', { schema: { body: nameSchema } }, async (req) => {
    const volume = await service.getVolume(req.body.Name);
    return { Volume: dockerVolume(volume, refs.holders(volume.name).size), Err: '' };
  });

  app.post('/VolumeDriver.List', async () => {
    const volumes = await service.listVolumes();
    return { Volumes: volumes.map((v) => ({ Name: v.name, Mountpoint: v.mountpoint ?? '' })), Err: '' };
  });
}

/**
 * After a restart: volumes that containers still hold are mounted again (a no-op when they
 * still are), and holders of volumes that no longer exist are dropped.
 */
export async function reconcileDockerMounts(service: VolumeService, refs: MountRefs, log: Logger): Promise<void> {
  for (const name of refs.volumes()) {
    try {
      if (!(await service.findVolume(name))) {
        log.warn('forgetting Docker mounts of a volume that no longer exists', { volume: name });
        await refs.forget(name);
        continue;
      }
      await service.mountVolume(name);
      log.info('kept Docker mounts across the restart', { volume: name, holders: refs.holders(name).size });
    } catch (err) {
      log.error('could not restore a volume that containers hold', { volume: name, error: (err as Error).message });
    }
  }
}
