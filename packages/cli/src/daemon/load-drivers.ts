import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CommandRunner,
  ConvoyError,
  checkDeclaredOptions,
  type DriverDefinition,
  DriverRegistry,
  type JsonLogger,
  type ModuleImporter,
  type OptionSpec,
  type Options,
  type VolumeDriver,
} from '@convoy/core';

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

export interface LoadedDrivers {
  /** In `--drivers` order; the first is the default. */
  drivers: VolumeDriver[];
  /** Each driver's `--driver-opts`, from its definition, for `convoy info`. */
  options: Record<string, OptionSpec[]>;
}

/**
 * Resolves and creates the enabled drivers: by name from the registry (`vfs` → @convoy/driver-vfs,
 * then convoy-driver-vfs), plus every `--driver-module`, imported by absolute file URL. A module's
 * driver is enabled even when `--drivers` does not name it; it then comes after the named ones.
 * Each driver gets `<root>/<name>` as its own state directory. A `--driver-opts` key no enabled
 * driver declares (a typo like vfs.pathh, or a driver that is not enabled) is refused before any
 * driver starts.
 */
export async function loadDrivers(opts: DriverLoadOptions): Promise<LoadedDrivers> {
  const registry = new DriverRegistry(opts.importer);
  const names = [...opts.names];
  for (const modulePath of opts.modules) {
    const def = await registry.load(pathToFileURL(path.resolve(modulePath)).href);
    if (!names.includes(def.name)) names.push(def.name);
  }
  if (names.length === 0) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      'no driver enabled: pass --drivers NAME (e.g. --drivers vfs --driver-opts vfs.path=/srv/convoy); the first one is the default',
    );
  }
  const definitions: DriverDefinition[] = [];
  for (const name of names) {
    if (definitions.some((d) => d.name === name)) throw new ConvoyError('INVALID_ARGUMENT', `driver ${name} is enabled twice`);
    definitions.push(await registry.resolve(name));
  }
  checkDeclaredOptions(
    opts.options,
    definitions.flatMap((def) => def.options),
    `--driver-opts of the enabled drivers (${names.join(', ')})`,
  );
  const drivers: VolumeDriver[] = [];
  try {
    for (const def of definitions) {
      const name = def.name;
      const root = path.join(opts.root, name);
      await mkdir(root, { recursive: true, mode: 0o700 });
      drivers.push(await def.create({ root, options: opts.options, run: opts.run, log: opts.log.child({ driver: name }) }));
    }
  } catch (err) {
    await Promise.allSettled(drivers.map((d) => d.close?.()));
    throw err;
  }
  return { drivers, options: Object.fromEntries(definitions.map((def) => [def.name, def.options])) };
}
