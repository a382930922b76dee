import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Real peer programs built from the source archives in third_party/peers/ (offline, with
 * Debian's golang-go): csi-sanity, Kubernetes' CSI conformance suite, and the original Go Convoy
 * v0.5.2 daemon and client. Each build is cached, so only the first call of a machine pays it.
 */

const peersDir = path.resolve(import.meta.dirname, '..', 'third_party', 'peers');

export const goRequirement = {
  available: spawnSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' }).status === 0,
  name: 'the Go toolchain (to build the peer programs from third_party/peers)',
  install: '`apt-get install -y golang-go libdevmapper-dev`',
};

function build(script: string): string {
  const r = spawnSync('bash', [path.join(peersDir, script)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const lines = r.stdout.trim().split('\n');
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return lines[lines.length - 1]!;
}

/** Path of the csi-sanity binary (kubernetes-csi/csi-test v5.3.1). */
export function csiSanityBinary(): string {
  return build('build-csi-sanity.sh');
}

/** Path of the Go Convoy v0.5.2 binary (daemon and client in one). */
export function convoyGoBinary(): string {
  return build('build-convoy-go.sh');
}
