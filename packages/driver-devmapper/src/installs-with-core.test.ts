// A driver is installed beside a daemon that brings the engine; the driver itself must need only
// the contracts (`@convoy/core`), or installing it pulls the engine and its native addons in a
// second copy. This checks the manifest and every import of the shipped sources.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const shipped = readdirSync(path.join(root, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('driver-devmapper installs with @convoy/core alone', () => {
  it('declares no runtime or peer dependency but @convoy/core', () => {
    const needed = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    expect(needed).toEqual(['@convoy/core']);
  });

  it('imports nothing in its shipped sources but node built-ins, @convoy/core and its own files', () => {
    const foreign: string[] = [];
    for (const file of shipped) {
      const text = readFileSync(path.join(root, 'src', file), 'utf8');
      for (const [, specifier] of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
        const bare = specifier!.replace(/^node:/, '');
        if (specifier!.startsWith('.') || specifier === '@convoy/core' || builtinModules.includes(bare)) continue;
        foreign.push(`${file}: ${specifier}`);
      }
    }
    expect(shipped.length).toBeGreaterThan(10);
    expect(foreign).toEqual([]);
  });
});
