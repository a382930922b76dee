import { ConvoyError, parseSize } from '@convoy/core';
import type { CreateVolumeParams } from '@convoy/volume-service';

/** Keys a user might try for an encrypted backup; Docker shows every option in `docker volume inspect`. */
const KEY_OPTIONS = new Set(['encryption-key', 'encryption-key-file', 'encryption-passphrase', 'passphrase', 'key']);

/**
 * Maps `docker volume create -o key=value` (Docker sends every value as a string, and `Opts` is
 * null without `-o`) onto a create request, as Convoy did: `size` (bytes or k/m/g/t), `driver`,
 * `backup` (restore this backup URL), `endpoint` (S3 endpoint for it), `standby=true` (keep the
 * restored volume a standby: `convoy standby sync` follows its source, Docker cannot mount it). Every other key reaches
 * the driver's declared volume options, and the manager refuses any the driver does not declare.
 * An encrypted backup restores with the daemon's own key (`convoy daemon --encryption-key-file`);
 * a key as an option is refused, because Docker keeps options and shows them to anyone who can
 * inspect the volume.
 */
export function createParamsFromDockerOpts(name: string, opts: Record<string, string> | null | undefined): CreateVolumeParams {
  const params: CreateVolumeParams = { name };
  const driverOptions: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts ?? {})) {
    switch (key) {
      case 'size':
        params.size = parseSize(value, 'option size', 'volume');
        break;
      case 'driver':
        params.driver = value;
        break;
      case 'backup':
        params.backupUrl = value;
        break;
      case 'endpoint':
        params.endpoint = value;
        break;
      case 'standby':
        if (value !== 'true' && value !== 'false')
          throw new ConvoyError('INVALID_ARGUMENT', `option standby must be true or false, not ${JSON.stringify(value)}`);
        if (value === 'true') params.standby = true;
        break;
      default:
        if (KEY_OPTIONS.has(key)) {
          throw new ConvoyError(
            'INVALID_ARGUMENT',
            `option ${key}: Docker shows volume options to anyone, so keys are never options; start the daemon with --encryption-key-file to restore encrypted backups`,
          );
        }
        driverOptions[key] = value;
    }
  }
  if (Object.keys(driverOptions).length > 0) params.options = driverOptions;
  return params;
}
