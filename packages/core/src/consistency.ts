/**
 * Application-consistent snapshots: what the manager asks of an injected quiescer (the
 * container hook runner in @convoy/app-hooks) and what it reports back. Core knows nothing of
 * Docker; without a quiescer a consistent request still takes the snapshot and says it is only
 * crash-consistent, as every snapshot was before.
 */

/** The volume about to be snapshotted: its name and, while mounted, its mountpoint. */
export interface QuiesceTarget {
  volumeName: string;
  mountpoint?: string;
}

/** One hook run inside one container. */
export interface HookRunReport {
  /** The command as run inside the container (never through a host shell). */
  argv: string[];
  outcome: 'ok' | 'failed' | 'timed-out' | 'error';
  exitCode?: number;
  durationMs: number;
  /** The tail of what the hook printed, or why it could not run. */
  message?: string;
}

/** One running container that mounts the volume and declares hooks. */
export interface ContainerHookReport {
  id: string;
  name: string;
  onError: 'fail' | 'continue';
  timeoutMs: number;
  pre?: HookRunReport;
  post?: HookRunReport;
}

/** What a consistent snapshot request did; additive to the snapshot's record. */
export interface ConsistencyReport {
  /** application-consistent only when every pre-hook that was declared succeeded. */
  mode: 'application-consistent' | 'crash-consistent';
  /** Why it is only crash-consistent, or what went wrong but was allowed to continue. */
  notes: string[];
  /** How the driver froze the volume while it took the snapshot. */
  freeze: 'device-suspend' | 'none';
  containers: ContainerHookReport[];
}

/** What the quiescer reports; the manager adds the freeze. */
export type QuiesceReport = Omit<ConsistencyReport, 'freeze'>;

/**
 * Runs the pre-hooks, then `take`, then the post-hooks whatever happened. Throws (naming the
 * container and the hook) when a pre-hook whose policy is `fail` failed; `take` is then never
 * called. The report is also on the thrown error's details.
 */
export interface SnapshotQuiescer {
  around<T>(target: QuiesceTarget, take: () => Promise<T>): Promise<{ value: T; report: QuiesceReport }>;
}

/** Options of one snapshot create. */
export interface CreateSnapshotOptions {
  /** Run the containers' hooks around the snapshot. */
  consistent?: boolean;
}
