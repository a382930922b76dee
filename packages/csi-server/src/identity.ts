import { type CsiContext, traitsOf } from './context.js';
import type { IdentityHandlers } from './generated/csi/v1/Identity.js';
import type { HandlerTable } from './handler-table.js';

/** Identity: who the plugin is, what it offers, and whether it is ready. */
export function identityHandlers(ctx: CsiContext, isReady: () => boolean, snapshotMetadata: boolean) {
  const anyNodeLocal = ctx.enabledDrivers.some((d) => traitsOf(ctx, d).nodeLocal);
  const anyChangedBlocks = snapshotMetadata && ctx.enabledDrivers.some((d) => traitsOf(ctx, d).changedBlocks);
  return {
    GetPluginInfo: async () => ({ name: ctx.pluginName, vendor_version: ctx.pluginVersion, manifest: { 'convoy-drivers': ctx.enabledDrivers.join(',') } }),
    GetPluginCapabilities: async () => ({
      capabilities: [
        { service: { type: 'CONTROLLER_SERVICE' } },
        ...(anyNodeLocal ? [{ service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' as const } }] : []),
        { volume_expansion: { type: 'ONLINE' } },
        ...(anyChangedBlocks ? [{ service: { type: 'SNAPSHOT_METADATA_SERVICE' as const } }] : []),
      ],
    }),
    // Ready while the daemon serves and every driver answers (a driver whose info fails, e.g.
    // a thin pool gone, makes the node not ready rather than failing calls one by one).
    Probe: async () => {
      if (!isReady()) return { ready: { value: false } };
      const info = await ctx.service.info();
      const failing = Object.entries(info.driverInfo).filter(([, facts]) => 'error' in facts);
      for (const [driver, facts] of failing) ctx.log.warn('csi probe: a driver is not answering', { driver, error: facts['error'] });
      return { ready: { value: failing.length === 0 } };
    },
  } satisfies HandlerTable<IdentityHandlers>;
}
