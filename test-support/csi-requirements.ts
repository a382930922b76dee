import { goRequirement } from './peers.js';

/** csi-sanity mounts: it needs root, and Go to build it from third_party/peers. */
export const csiSanityRequirement = {
  available: goRequirement.available && process.getuid?.() === 0,
  name: 'root and the Go toolchain (csi-sanity mounts volumes and is built from third_party/peers)',
  install: `run as root; ${goRequirement.install}`,
};

/**
 * Skips csi-sanity may make on its own: each only because the plugin does not advertise the
 * capability the spec needs. Any other skip is a failure.
 */
export const CAPABILITY_SKIPS: readonly RegExp[] = [
  /^ControllerPublishVolume not supported$/, // PUBLISH_UNPUBLISH_VOLUME: nothing to attach
  /^ControllerUnpublishVolume not supported$/,
  /^Controller Publish, UnpublishVolume not supported$/,
  /^ControllerModifyVolume not supported$/, // MODIFY_VOLUME (alpha VolumeAttributesClass)
  /^Modify [vV]olume not supported$/,
  /^GroupControllerService not supported$/, // volume group snapshots
];
