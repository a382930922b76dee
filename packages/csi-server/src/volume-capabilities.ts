import type { DriverTraitsView } from '@convoy/core';
import type { VolumeCapability } from './messages.js';
import { invalidArgument } from './status.js';

const SINGLE_NODE_MODES = ['SINGLE_NODE_WRITER', 'SINGLE_NODE_READER_ONLY', 'SINGLE_NODE_SINGLE_WRITER', 'SINGLE_NODE_MULTI_WRITER'];
const MULTI_NODE_MODES = ['MULTI_NODE_READER_ONLY', 'MULTI_NODE_SINGLE_WRITER', 'MULTI_NODE_MULTI_WRITER'];

/** INVALID_ARGUMENT unless the list is present and every entry names an access type and a mode. */
export function requireCapabilities(caps: VolumeCapability[] | undefined | null, field = 'volume_capabilities'): VolumeCapability[] {
  if (!caps || caps.length === 0) throw invalidArgument(`${field} is required`);
  for (const cap of caps) requireCapability(cap, field);
  return caps;
}

export function requireCapability(cap: VolumeCapability | undefined | null, field = 'volume_capability'): VolumeCapability {
  if (!cap) throw invalidArgument(`${field} is required`);
  if (cap.access_type !== 'mount' && cap.access_type !== 'block') throw invalidArgument(`${field} must set an access type (mount or block)`);
  const mode = cap.access_mode?.mode;
  if (!mode || mode === 'UNKNOWN') throw invalidArgument(`${field} must set an access mode`);
  return cap;
}

/**
 * Why the driver cannot serve this capability, or undefined when it can. Node-local volumes
 * are reachable from one node only; block access needs a block device; the filesystem of a
 * block-device volume is the one its driver made.
 */
export function unsupportedReason(cap: VolumeCapability, driver: string, traits: DriverTraitsView, filesystem: string | undefined): string | undefined {
  const mode = cap.access_mode?.mode ?? '';
  if (!SINGLE_NODE_MODES.includes(mode) && !MULTI_NODE_MODES.includes(mode)) return `access mode ${mode} is unknown`;
  if (traits.nodeLocal && MULTI_NODE_MODES.includes(mode)) return `driver ${driver} keeps volumes on one node; access mode ${mode} needs several`;
  if (cap.access_type === 'block' && !traits.blockDevice)
    return `driver ${driver} volumes are directories; the Block access type needs a block-device driver (devicemapper)`;
  const fsType = cap.mount?.fs_type ?? '';
  if (cap.access_type === 'mount' && traits.blockDevice && fsType !== '' && filesystem !== undefined && fsType !== filesystem) {
    return `driver ${driver} makes ${filesystem} filesystems (dm.fs); fsType ${fsType} is not available`;
  }
  return undefined;
}
