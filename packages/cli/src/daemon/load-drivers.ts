import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConvoyError, DriverRegistry, type CommandRunner, type JsonLogger, type ModuleImporter, type Options, type VolumeDriver } from '@convoy/core';

export interface DriverLoadOptions {
  /** `--drivers`, in order; the first is the default. */
  names: readonly string[];
  /** `--driver-module` paths of third-party driver packages. */
  modules: readonly string[];
  /** Every `--driver-opts` pair; each driver reads its own prefixed keys. */
  options: Options;
  root: string;
  run: CommandRunner;
  log: JsonLogger;
  importer: ModuleImporter;
}

/**
 * Resolves and creates the enabled drivers: by name from the registry (`vfs` → @convoy/driver-vfs,
 * then convoy-driver-vfs), plus every `--driver-module`, imported by absolute file URL. A module's
 * driver is enabled even when `--drivers` does not name it; it then comes after the named ones.
 * Each driver gets `<root>/<name>` as its own state directory.
 */
export async function loadDrivers(opts: DriverLoadOptions): Promise<VolumeDriver[]> {
  const registry = new DriverRegistry(opts.importer);
  const names = [...opts.names];
  for (const modulePath of opts.modules) {
    const def = await registry.load(pathToFileURL(path.resolve(modulePath)).href);
    if (!names.includes(def.name)) names.push(def.name);
  }
  if (names.length === 0) {
    throw new ConvoyError('INVALID_ARGUMENT', 'no driver enabled: pass --drivers NAME (e.g. --drivers vfs --driver-opts vfs.path=/srv/convoy); the first one is the default');
  }
  const drivers: VolumeDriver[] = [];
  try {
    for (const name of names) {
      if (drivers.some((d) => d.name === name)) throw new ConvoyError('INVALID_ARGUMENT', `driver ${name} is enabled twice`);
      const def = await registry.resolve(name);
      const root = path.join(opts.root, name);
      await mkdir(root, { recursive: true, mode: 0o700 });
      drivers.push(await def.create({ root, options: opts.options, run: opts.run, log: opts.log.child({ driver: name }) }));
    }
  } catch (err) {
    await Promise.allSettled(drivers.map((d) => d.close?.()));
    throw err;
  }
  return drivers;
}
