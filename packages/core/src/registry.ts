import type { DriverDefinition } from './driver.js';
import { ConvoyError } from './errors.js';
import type { ObjectStoreDefinition } from './objectstore.js';

/**
 * Imports a module by specifier or path. The CLI passes its own `import()`, so packages resolve
 * from where they are installed, not from core's folder.
 */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

interface Named {
  readonly kind: string;
  key(def: unknown): string | undefined;
  /** The keys Convoy ships packages for, named when an unknown key is asked for. */
  readonly shipped: readonly string[];
}

/**
 * Holds definitions by key and resolves unknown keys from installed packages, in order:
 * registered → `@convoy/<prefix>-<key>` (or a known alias) → `convoy-<prefix>-<key>` → explicit module paths.
 */
class Registry<Def> {
  private readonly defs = new Map<string, Def>();
  constructor(
    private readonly what: Named,
    private readonly prefix: string,
    private readonly aliases: Record<string, string>,
    private readonly importer?: ModuleImporter,
  ) {}

  register(def: Def): void {
    const key = this.what.key(def);
    if (!key) throw new ConvoyError('INVALID_ARGUMENT', `not a ${this.what.kind} definition`);
    if (this.defs.has(key)) throw new ConvoyError('ALREADY_EXISTS', `${this.what.kind} ${key} is registered twice`);
    this.defs.set(key, def);
  }

  list(): Def[] {
    return [...this.defs.values()];
  }

  /** Loads a module whose default export is a definition, registers and returns it. */
  async load(specifier: string): Promise<Def> {
    if (!this.importer) throw new ConvoyError('INTERNAL', 'registry has no module importer');
    let mod: unknown;
    try {
      mod = await this.importer(specifier);
    } catch (err) {
      throw new ConvoyError('UNKNOWN_DRIVER', `cannot load ${this.what.kind} module ${specifier}: ${(err as Error).message}`, { cause: err });
    }
    const def = (mod as { default?: unknown })?.default ?? mod;
    const key = this.what.key(def);
    if (!key) throw new ConvoyError('UNKNOWN_DRIVER', `module ${specifier} does not export a ${this.what.kind} definition as its default export`);
    if (!this.defs.has(key)) this.defs.set(key, def as Def);
    return this.defs.get(key) as Def;
  }

  async resolve(key: string): Promise<Def> {
    const known = this.defs.get(key);
    if (known) return known;
    const candidates = [this.aliases[key] ?? `@convoy/${this.prefix}-${key}`, `convoy-${this.prefix}-${key}`];
    const tried: string[] = [];
    for (const spec of candidates) {
      if (!this.importer) break;
      try {
        const def = await this.load(spec);
        if (this.what.key(def) === key) return def;
        tried.push(`${spec} (defines ${this.what.key(def)})`);
      } catch {
        tried.push(spec);
      }
    }
    const usable = [...new Set([...this.what.shipped, ...this.defs.keys()])].sort();
    throw new ConvoyError(
      'UNKNOWN_DRIVER',
      `unknown ${this.what.kind} ${JSON.stringify(key)} (use one of: ${usable.join(', ')}); looked for packages ${tried.join(', ')}`,
      {
        details: { tried, known: usable },
      },
    );
  }
}

export class DriverRegistry extends Registry<DriverDefinition> {
  constructor(importer?: ModuleImporter) {
    // Convoy's driver name is `devicemapper`; the package keeps the architecture's short name.
    super(
      { kind: 'driver', key: (d) => (isDriverDefinition(d) ? d.name : undefined), shipped: ['devicemapper', 'vfs'] },
      'driver',
      { devicemapper: '@convoy/driver-devmapper' },
      importer,
    );
  }
}

export class ObjectStoreRegistry extends Registry<ObjectStoreDefinition> {
  constructor(importer?: ModuleImporter) {
    super(
      { kind: 'backup store', key: (d) => (isObjectStoreDefinition(d) ? d.scheme : undefined), shipped: ['s3', 'vfs'] },
      'objectstore',
      { vfs: '@convoy/objectstore-fs' },
      importer,
    );
  }
}

function isDriverDefinition(d: unknown): d is DriverDefinition {
  return typeof d === 'object' && d !== null && typeof (d as DriverDefinition).name === 'string' && typeof (d as DriverDefinition).create === 'function';
}

function isObjectStoreDefinition(d: unknown): d is ObjectStoreDefinition {
  const def = d as ObjectStoreDefinition;
  return typeof d === 'object' && d !== null && typeof def.scheme === 'string' && typeof def.open === 'function' && typeof def.checkOptions === 'function';
}
