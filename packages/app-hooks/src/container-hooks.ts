import {
  type ContainerHookReport,
  ConvoyError,
  type HookRunReport,
  type QuiesceReport,
  type QuiesceTarget,
  type SnapshotQuiescer,
  toConvoyError,
} from '@convoy/core';
import { type ContainerMount, type DockerEngine, ExecTimeout, type RunningContainer } from './docker-engine.js';
import { type ContainerHookSpec, type HookDefaults, hookSpecOf } from './hook-labels.js';

/**
 * The hook runner the manager is given: finds the running containers that mount the volume,
 * runs each one's pre-snapshot hook inside it, lets the snapshot be taken, then runs the
 * post-snapshot hooks whatever happened (in reverse order, also after a failed pre-hook, which
 * may have half quiesced). Every command runs inside the container that declared it.
 */
export interface ContainerHookRunnerOptions {
  engine: DockerEngine;
  /** A hook's time limit and policy when its container's labels set none. */
  defaults: HookDefaults;
  /** The names Docker knows this daemon's plugin by; a volume mount of another driver never matches. Any non-local driver when absent. */
  pluginNames?: readonly string[];
}

interface Involved {
  container: RunningContainer;
  name: string;
  spec: ContainerHookSpec;
  report: ContainerHookReport;
}

export class ContainerHookRunner implements SnapshotQuiescer {
  constructor(private readonly opts: ContainerHookRunnerOptions) {}

  async around<T>(target: QuiesceTarget, take: () => Promise<T>): Promise<{ value: T; report: QuiesceReport }> {
    let running: RunningContainer[];
    try {
      running = await this.opts.engine.runningContainers();
    } catch (err) {
      const why = `Docker is not reachable at ${this.opts.engine.socketPath} (${toConvoyError(err).message}); no hooks ran, the snapshot is crash-consistent`;
      return { value: await take(), report: { mode: 'crash-consistent', notes: [why], containers: [] } };
    }
    const notes: string[] = [];
    const involved: Involved[] = [];
    for (const container of running.filter((c) => (c.Mounts ?? []).some((m) => this.mounts(m, target)))) {
      const name = containerName(container);
      let spec: ContainerHookSpec | undefined;
      try {
        spec = hookSpecOf(container.Labels ?? {}, this.opts.defaults);
      } catch (err) {
        throw new ConvoyError(
          'INVALID_ARGUMENT',
          `container ${name} mounts volume ${target.volumeName} but its hook labels are malformed: ${toConvoyError(err).message}; no snapshot taken`,
          {
            details: { container: name },
            cause: err,
          },
        );
      }
      if (spec) involved.push({ container, name, spec, report: { id: container.Id, name, onError: spec.onError, timeoutMs: spec.timeoutMs } });
      else notes.push(`container ${name} mounts the volume but declares no hooks`);
    }
    if (involved.length === 0) {
      notes.push('no running container that mounts the volume declares hooks; the snapshot is crash-consistent');
      return { value: await take(), report: { mode: 'crash-consistent', notes, containers: [] } };
    }
    return this.withHooks(involved, notes, take);
  }

  private async withHooks<T>(involved: Involved[], notes: string[], take: () => Promise<T>): Promise<{ value: T; report: QuiesceReport }> {
    const entered: Involved[] = [];
    let refusal: ConvoyError | undefined;
    let outcome: { value: T } | { error: unknown } | undefined;
    try {
      for (const one of involved) {
        entered.push(one);
        if (!one.spec.pre) continue;
        const pre = await this.run(one, one.spec.pre);
        one.report.pre = pre;
        if (pre.outcome === 'ok') continue;
        const what = `the pre-snapshot hook of container ${one.name} (${pre.argv.join(' ')}) ${describe(pre)}`;
        if (one.spec.onError === 'fail') {
          refusal = new ConvoyError('COMMAND_FAILED', `${what}; no snapshot taken (on-error=fail)`, { details: { container: one.name, hook: 'pre-snapshot' } });
          break;
        }
        notes.push(`${what}; the snapshot was taken anyway (on-error=continue)`);
      }
      if (!refusal) outcome = { value: await take() };
    } catch (err) {
      outcome = { error: err };
    } finally {
      for (const one of entered.reverse()) {
        if (!one.spec.post) continue;
        const post = await this.run(one, one.spec.post);
        one.report.post = post;
        if (post.outcome !== 'ok') notes.push(`the post-snapshot hook of container ${one.name} (${post.argv.join(' ')}) ${describe(post)}`);
      }
    }
    const containers = involved.map((one) => one.report);
    if (refusal) throw new ConvoyError(refusal.code, refusal.message, { details: { ...refusal.details, containers, notes } });
    if (!outcome || 'error' in outcome) throw outcome?.error;
    const consistent = involved.every((one) => !one.spec.pre || one.report.pre?.outcome === 'ok');
    return { value: outcome.value, report: { mode: consistent ? 'application-consistent' : 'crash-consistent', notes, containers } };
  }

  private async run(one: Involved, argv: string[]): Promise<HookRunReport> {
    const started = Date.now();
    const took = () => Date.now() - started;
    try {
      const { exitCode, output } = await this.opts.engine.exec(one.container.Id, argv, one.spec.timeoutMs);
      return { argv, outcome: exitCode === 0 ? 'ok' : 'failed', exitCode, durationMs: took(), ...(output ? { message: output } : {}) };
    } catch (err) {
      if (err instanceof ExecTimeout)
        return { argv, outcome: 'timed-out', durationMs: took(), message: `no answer within ${one.spec.timeoutMs} ms; it may still run in the container` };
      return { argv, outcome: 'error', durationMs: took(), message: toConvoyError(err).message };
    }
  }

  private mounts(mount: ContainerMount, target: QuiesceTarget): boolean {
    if (mount.Type === 'volume' && mount.Name === target.volumeName) {
      const driver = mount.Driver ?? '';
      return this.opts.pluginNames ? this.opts.pluginNames.includes(driver) : driver !== '' && driver !== 'local';
    }
    const mountpoint = target.mountpoint;
    return mountpoint !== undefined && mount.Source !== undefined && (mount.Source === mountpoint || mount.Source.startsWith(`${mountpoint}/`));
  }
}

function containerName(container: RunningContainer): string {
  return (container.Names?.[0] ?? container.Id.slice(0, 12)).replace(/^\//, '');
}

function describe(run: HookRunReport): string {
  const said = run.message ? `: ${run.message.trim().slice(-300)}` : '';
  if (run.outcome === 'failed') return `exited ${run.exitCode}${said}`;
  if (run.outcome === 'timed-out') return `timed out after ${run.durationMs} ms`;
  return `could not run${said}`;
}
