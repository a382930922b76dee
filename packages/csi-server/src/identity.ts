import type { CsiContext } from './context.js';
import { traitsOf } from './driver-traits.js';

/** Identity: who the plugin is, what it offers, and whether it is ready. */
export function identityHandlers(ctx: CsiContext, isReady: () => boolean) {
  const anyNodeLocal = ctx.enabledDrivers.some((d) => traitsOf(d).nodeLocal);
  const anyChangedBlocks = ctx.enabledDrivers.some((d) => traitsOf(d).changedBlocks);
  return {
    GetPluginInfo: async () => ({ name: ctx.pluginName, vendor_version: ctx.pluginVersion, manifest: { 'convoy-drivers': ctx.enabledDrivers.join(',') } }),
    GetPluginCapabilities: async () => ({
      capabilities: [
        { service: { type: 'CONTROLLER_SERVICE' } },
        ...(anyNodeLocal ? [{ service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } }] : []),
        { volume_expansion: { type: 'ONLINE' } },
        ...(anyChangedBlocks ? [{ service: { type: 'SNAPSHOT_METADATA_SERVICE' } }] : []),
      ],
    }),
    Probe: async () => ({ ready: { value: isReady() } }),
  };
}
