import { type CommandRunner, DEFAULT_DRIVER_TRAITS, type DriverTraitsView, type KeyedMutex, type Logger } from '@convoy/core';
import type { ChangedBlockService, StoreOperations, VolumeService } from '@convoy/volume-service';
import type { CsiRecords } from './csi-records.js';
import type { BackupTarget } from './parameters.js';

/** Everything the CSI services share; built once by startCsiServer. */
export interface CsiContext {
  service: VolumeService & ChangedBlockService;
  /** Backup listings and deletes in the targets' stores (no driver involved). */
  stores: StoreOperations;
  /** The CSI driver name Kubernetes knows the plugin by (CSIDriver object, StorageClass provisioner). */
  pluginName: string;
  pluginVersion: string;
  nodeId: string;
  /** The topology key whose value is `nodeId` on node-local volumes. */
  topologyKey: string;
  /** Staging and target paths must lie under this directory (the kubelet's, /var/lib/kubelet). */
  kubeletDir: string;
  records: CsiRecords;
  targets: ReadonlyMap<string, BackupTarget>;
  /** A backup store inside the daemon root that carries copies (volume from snapshot, clone). */
  copyStoreUrl: string;
  run: CommandRunner;
  log: Logger;
  /** Serialises CSI calls on one name or id, so a CO's concurrent retries cannot race. */
  locks: KeyedMutex;
  enabledDrivers: readonly string[];
  defaultDriver: string;
  /** What each enabled driver declares of its volumes, as the service reports it (`info().driverTraits`). */
  driverTraits: Readonly<Record<string, DriverTraitsView>>;
}

/** A driver's traits; a driver not enabled here (a record from another configuration) has the defaults. */
export function traitsOf(ctx: CsiContext, driver: string): DriverTraitsView {
  return ctx.driverTraits[driver] ?? { ...DEFAULT_DRIVER_TRAITS, createOptions: [], changedBlocks: false };
}

/** gRPC topology segments of a node-local volume or of this node. */
export function nodeTopology(ctx: CsiContext): { segments: Record<string, string> } {
  return { segments: { [ctx.topologyKey]: ctx.nodeId } };
}
