/**
 * The points between the steps of multi-step operations. Tests pass a hook that never returns
 * at one of them, which stops the operation exactly as a killed process would (no `finally`
 * runs), then start a new driver on the same root and check what recovery made of it.
 */
export const CREATE_VOLUME_STEPS = [
  'create-volume:id-allocated',
  'create-volume:intent-recorded',
  'create-volume:thin-created',
  'create-volume:activated',
  'create-volume:formatted',
  'create-volume:state-saved',
] as const;

export const CREATE_SNAPSHOT_STEPS = [
  'create-snapshot:id-allocated',
  'create-snapshot:intent-recorded',
  'create-snapshot:origin-suspended',
  'create-snapshot:thin-created',
  'create-snapshot:origin-resumed',
  'create-snapshot:state-saved',
] as const;

export const DELETE_VOLUME_STEPS = [
  'delete-volume:intent-recorded',
  'delete-volume:snapshots-deleted',
  'delete-volume:deactivated',
  'delete-volume:thin-deleted',
] as const;

export type CrashStep = (typeof CREATE_VOLUME_STEPS)[number] | (typeof CREATE_SNAPSHOT_STEPS)[number] | (typeof DELETE_VOLUME_STEPS)[number];

export interface DriverHooks {
  /** Called when `step` has just completed for the volume or snapshot named `subject`. */
  reached?(step: CrashStep, subject: string): void | Promise<void>;
}
