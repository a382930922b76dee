import { parseSize, type CreateVolumeParams } from '@convoy/core';

/**
 * Maps `docker volume create -o key=value` (Docker sends every value as a string, and `Opts` is
 * null without `-o`) onto a create request, as Convoy did: `size` (bytes or k/m/g/t), `driver`,
 * `backup` (restore this backup URL), `endpoint` (S3 endpoint for it). Every other key reaches
 * the driver's declared volume options, and the manager refuses any the driver does not declare.
 */
export function createParamsFromDockerOpts(name: string, opts: Record<string, string> | null | undefined): CreateVolumeParams {
  const params: CreateVolumeParams = { name };
  const driverOptions: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts ?? {})) {
    switch (key) {
      case 'size':
        params.size = parseSize(value, 'option size');
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
      default:
        driverOptions[key] = value;
    }
  }
  if (Object.keys(driverOptions).length > 0) params.options = driverOptions;
  return params;
}
