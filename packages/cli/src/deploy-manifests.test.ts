import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_DRIVER_TRAITS } from '@convoy/core';
import { CSI_PLUGIN_NAME, CSI_TOPOLOGY_KEY, parseBackupTarget, parseSnapshotParameters, parseVolumeParameters } from '@convoy/csi-server';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import yargs, { type Argv } from 'yargs';
import type { CommandRunner, GlobalArgs } from './command-context.js';
import { daemonConfigFromArgs } from './commands/daemon/config.js';
import { daemonCommand } from './commands/daemon/daemon.js';
import { registerCommands } from './commands/register.js';

const deployDir = path.resolve(import.meta.dirname, '..', '..', '..', 'deploy', 'kubernetes');

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: any };
interface Container {
  name: string;
  args?: string[];
  env?: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  volumeMounts?: Array<{ name: string; mountPath: string; mountPropagation?: string }>;
}

async function manifests(): Promise<Doc[]> {
  const files = (await readdir(deployDir)).filter((f) => f.endsWith('.yaml'));
  const docs: Doc[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(path.join(deployDir, file), 'utf8'))) {
      expect(doc.errors, file).toEqual([]);
      const value = doc.toJS() as Doc | null;
      if (value && value.kind !== 'Kustomization') docs.push(value);
    }
  }
  return docs;
}

/** The daemon container's arguments through the real `convoy daemon` parser, without starting it. */
async function parseDaemonArgs(args: string[]): Promise<ReturnType<typeof daemonConfigFromArgs>> {
  let parsed: ReturnType<typeof daemonConfigFromArgs> | undefined;
  const capture: CommandRunner = { action: () => async (argv) => void (parsed = daemonConfigFromArgs(argv as never)) };
  const base = yargs()
    .option('socket', { type: 'string', global: true })
    .option('json', { type: 'boolean', default: false })
    .strict()
    .exitProcess(false) as unknown as Argv<GlobalArgs>;
  const parser = registerCommands(base, capture, [daemonCommand]).fail((msg, err) => {
    throw err ?? new Error(msg);
  });
  await parser.parseAsync(args);
  if (!parsed) throw new Error('convoy daemon did not accept the arguments');
  return parsed;
}

/** `$(NODE_NAME)` as the kubelet expands it from the container's env. */
function expands(container: Container, value: string): string | undefined {
  const match = /^\$\((\w+)\)$/.exec(value);
  if (!match) return value;
  return container.env?.find((e) => e.name === match[1])?.valueFrom?.fieldRef?.fieldPath;
}

/** The host path of the file `inContainer` through the container's mounts of hostPath volumes. */
function hostPathOf(pod: any, container: Container, inContainer: string): string {
  for (const mount of container.volumeMounts ?? []) {
    if (inContainer !== mount.mountPath && !inContainer.startsWith(mount.mountPath + '/')) continue;
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    return path.join(volume.hostPath.path, path.relative(mount.mountPath, inContainer));
  }
  throw new Error(`${container.name} has no mount holding ${inContainer}`);
}

const flag = (container: Container, name: string): string | undefined => container.args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('deploy/kubernetes', () => {
  it('agrees with the code: driver name, daemon arguments, socket paths, parameters, topology', async () => {
    const docs = await manifests();
    const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);

    const [csiDriver] = ofKind('CSIDriver');
    expect(csiDriver?.metadata.name).toBe(CSI_PLUGIN_NAME);
    expect(csiDriver?.spec.attachRequired).toBe(false); // no ControllerPublishVolume

    const [daemonSet] = ofKind('DaemonSet');
    const pod = daemonSet!.spec.template.spec;
    const containers = pod.containers as Container[];
    const convoy = containers.find((c) => c.name === 'convoy')!;
    expect(convoy.args?.[0]).toBe('daemon');
    const config = await parseDaemonArgs(convoy.args!);
    const csi = config.csi!;
    expect(csi).toBeDefined();
    expect(expands(convoy, csi.nodeId)).toBe('spec.nodeName');
    expect(csi.snapshotMetadata).toBe(true); // devicemapper's changed blocks, for external-snapshot-metadata

    // Every sidecar reaches the daemon's socket through the same host directory.
    const socketOnHost = hostPathOf(pod, convoy, csi.socketPath);
    expect(socketOnHost).toBe(`/var/lib/kubelet/plugins/${CSI_PLUGIN_NAME}/csi.sock`);
    // external-snapshot-metadata runs exactly where the daemon serves SnapshotMetadata.
    expect(containers.some((c) => c.name === 'csi-snapshot-metadata')).toBe(csi.snapshotMetadata);
    for (const name of ['node-driver-registrar', 'liveness-probe', 'csi-provisioner', 'csi-snapshotter', 'csi-resizer', 'csi-snapshot-metadata']) {
      const sidecar = containers.find((c) => c.name === name);
      expect(sidecar, name).toBeDefined();
      expect(hostPathOf(pod, sidecar!, flag(sidecar!, 'csi-address')!), name).toBe(socketOnHost);
    }
    const registrar = containers.find((c) => c.name === 'node-driver-registrar')!;
    expect(flag(registrar, 'kubelet-registration-path')).toBe(socketOnHost);
    expect(hostPathOf(pod, registrar, '/registration')).toBe('/var/lib/kubelet/plugins_registry');
    for (const name of ['csi-provisioner', 'csi-snapshotter']) {
      const sidecar = containers.find((c) => c.name === name)!;
      expect(flag(sidecar, 'node-deployment'), name).toBe('true');
      expect(sidecar.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, name).toBe('spec.nodeName');
    }

    // Staging and target paths land under the kubelet directory, shared back to the host.
    const kubeletMount = convoy.volumeMounts!.find((m) => m.mountPath === csi.kubeletDir);
    expect(kubeletMount?.mountPropagation).toBe('Bidirectional');
    expect(hostPathOf(pod, convoy, csi.kubeletDir!)).toBe('/var/lib/kubelet');

    // Classes use the plugin's name and only parameters the plugin accepts.
    const targets = new Map(csi.backupTargets.map((t) => parseBackupTarget(t)).map((t) => [t.name, t]));
    const storageClasses = ofKind('StorageClass');
    // The classes carry only `driver`, so the enabled drivers' default traits (no create options) are enough.
    const enabled = Object.fromEntries(config.drivers.map((d) => [d, { ...DEFAULT_DRIVER_TRAITS, createOptions: [], changedBlocks: false }]));
    expect(storageClasses.map((s) => s.parameters.driver).sort()).toEqual([...config.drivers].sort());
    for (const sc of storageClasses) {
      expect(sc.provisioner).toBe(CSI_PLUGIN_NAME);
      expect(() => parseVolumeParameters(sc.parameters, enabled, config.drivers[0]!), sc.metadata.name).not.toThrow();
      for (const term of sc.allowedTopologies ?? []) for (const e of term.matchLabelExpressions) expect(e.key).toBe(CSI_TOPOLOGY_KEY);
    }
    const snapshotClasses = ofKind('VolumeSnapshotClass');
    expect(snapshotClasses.map((c) => c.parameters.type).sort()).toEqual(['bak', 'snap']);
    for (const vsc of snapshotClasses) {
      expect(vsc.driver).toBe(CSI_PLUGIN_NAME);
      expect(() => parseSnapshotParameters(vsc.parameters, targets), vsc.metadata.name).not.toThrow();
    }

    // The pod's service account exists and every role is bound to it.
    const account = ofKind('ServiceAccount').find((a) => a.metadata.name === pod.serviceAccountName);
    expect(account?.metadata.namespace).toBe(daemonSet!.metadata.namespace);
    const boundTo = (kind: string) =>
      ofKind(kind).filter((b) =>
        b.subjects.some((s: { name: string; namespace: string }) => s.name === account!.metadata.name && s.namespace === account!.metadata.namespace),
      );
    expect(
      boundTo('ClusterRoleBinding')
        .map((b) => b.roleRef.name)
        .sort(),
    ).toEqual(
      ofKind('ClusterRole')
        .map((r) => r.metadata.name)
        .sort(),
    );
    expect(
      boundTo('RoleBinding')
        .map((b) => `${b.metadata.namespace}/${b.roleRef.name}`)
        .sort(),
    ).toEqual(
      ofKind('Role')
        .map((r) => `${r.metadata.namespace}/${r.metadata.name}`)
        .sort(),
    );
  });

  it('grants leader-election leases only in the namespace the sidecars elect in', async () => {
    const docs = await manifests();
    const grantsLeases = (role: Doc) =>
      role.rules.some((r: { apiGroups: string[]; resources: string[] }) => r.apiGroups.includes('coordination.k8s.io') && r.resources.includes('leases'));
    expect(docs.filter((d) => d.kind === 'ClusterRole' && grantsLeases(d)).map((d) => d.metadata.name)).toEqual([]);
    const leaseNamespaces = docs.filter((d) => d.kind === 'Role' && grantsLeases(d)).map((d) => d.metadata.namespace);
    const containers = docs.find((d) => d.kind === 'DaemonSet')!.spec.template.spec.containers as Container[];
    const electing = containers.filter((c) => flag(c, 'leader-election') === 'true');
    expect(electing.length).toBeGreaterThan(0);
    for (const c of electing) expect(leaseNamespaces, c.name).toContain(flag(c, 'leader-election-namespace'));
  });

  it('names every image once, in kustomization.yaml, with the versions and minimum Kubernetes it states', async () => {
    const kustomization = await readFile(path.join(deployDir, 'kustomization.yaml'), 'utf8');
    const { images, resources } = parseAllDocuments(kustomization)[0]!.toJS() as {
      images: Array<{ name: string; newName?: string; newTag?: string }>;
      resources: string[];
    };
    // Every manifest is applied.
    expect([...resources].sort()).toEqual((await readdir(deployDir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
    const docs = await manifests();
    const used = docs.flatMap((d) => (d.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image) as string[]);
    // No tag or digest in the manifests: the version lives only in kustomization.yaml.
    for (const image of used) expect(image, image).not.toMatch(/:[^/]*$|@/);
    expect(images.map((i) => i.name).sort()).toEqual([...new Set(used)].sort());
    for (const image of images) expect(image.newTag, image.name).toMatch(/^v?\d+\.\d+\.\d+$/);
    const { version } = JSON.parse(await readFile(path.resolve(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(images.find((i) => i.name === 'convoy')?.newTag).toBe(version);
    expect(kustomization).toMatch(/Kubernetes 1\.33 or later/);
  });

  it("tells the snapshot controller to hand snapshots to per-node snapshotters, and keeps SnapshotMetadata on the caller's node", async () => {
    const docs = await manifests();
    const daemonSet = docs.find((d) => d.kind === 'DaemonSet')!;
    const containers = daemonSet.spec.template.spec.containers as Array<Container & { ports?: Array<{ name: string; containerPort: number }> }>;
    expect(flag(containers.find((c) => c.name === 'csi-snapshotter')!, 'node-deployment')).toBe('true');
    expect(await readFile(path.join(deployDir, 'node.yaml'), 'utf8')).toContain('--enable-distributed-snapshotting');
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'convoy-snapshot-metadata')!;
    expect(service.metadata.namespace).toBe(daemonSet.metadata.namespace);
    expect(service.spec.internalTrafficPolicy).toBe('Local');
    for (const [key, value] of Object.entries(service.spec.selector as Record<string, string>))
      expect(daemonSet.spec.template.metadata.labels[key]).toBe(value);
    const sidecar = containers.find((c) => c.name === 'csi-snapshot-metadata')!;
    const port = sidecar.ports!.find((p) => p.name === service.spec.ports[0].targetPort)!;
    expect(String(port.containerPort)).toBe(flag(sidecar, 'port'));
  });
});
