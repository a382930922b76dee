import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConvoyError, removeFileDurably, writeFileAtomic } from '@convoy/core';

const PLUGIN_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface DockerSpecOptions {
  /** Docker's plugin spec directory, normally /etc/docker/plugins. */
  dir: string;
  /** The driver name users pass to `--volume-driver` / `-d`. */
  pluginName: string;
  socketPath: string;
}

/** The spec file that lets dockerd find the plugin with no manual step. */
export interface DockerSpec {
  readonly file: string;
  remove(): Promise<void>;
}

/**
 * Writes `<dir>/<name>.spec` containing `unix://<socket>` atomically, so dockerd (which reads it
 * on first use of the driver name) never sees half a file.
 */
export async function writeDockerSpec(opts: DockerSpecOptions): Promise<DockerSpec> {
  if (!PLUGIN_NAME.test(opts.pluginName)) {
    throw new ConvoyError('INVALID_ARGUMENT', `invalid plugin name ${JSON.stringify(opts.pluginName)}: use letters, digits, '_', '.' and '-'`);
  }
  const file = path.join(opts.dir, `${opts.pluginName}.spec`);
  const content = `unix://${path.resolve(opts.socketPath)}\n`;
  await fs.mkdir(opts.dir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, content);
  await fs.chmod(file, 0o644);
  return {
    file,
    async remove() {
      // Another daemon may have taken the name over since; its spec stays.
      const current = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (current === content) await removeFileDurably(file);
    },
  };
}
