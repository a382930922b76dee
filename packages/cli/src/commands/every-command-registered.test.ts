/**
 * A command file is reachable only through the lists (commands/index.ts and each noun's index.ts):
 * this walks every file under commands/ and fails on a command module no list names, so a new
 * verb file cannot be forgotten there.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from './command-module.js';
import { COMMANDS } from './index.js';

const COMMANDS_DIR = import.meta.dirname;

const isCommand = (value: unknown): value is Command =>
  typeof value === 'object' && value !== null && typeof (value as Command).command === 'string' && ('handler' in value || 'verbs' in value);

function reachable(commands: readonly Command[], found = new Set<Command>()): Set<Command> {
  for (const command of commands) {
    found.add(command);
    if ('verbs' in command) reachable(command.verbs, found);
  }
  return found;
}

async function commandFiles(): Promise<string[]> {
  const entries = await readdir(COMMANDS_DIR, { recursive: true });
  return entries.filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts')).sort();
}

describe('the command lists', () => {
  it('name every command module under commands/', async () => {
    const listed = reachable(COMMANDS);
    const unlisted: string[] = [];
    let modules = 0;
    for (const file of await commandFiles()) {
      const exports: Record<string, unknown> = await import(path.join(COMMANDS_DIR, file));
      for (const [name, value] of Object.entries(exports)) {
        if (!isCommand(value)) continue;
        modules += 1;
        if (!listed.has(value)) unlisted.push(`${file}: ${name}`);
      }
    }
    expect(unlisted).toEqual([]);
    // The walk found every listed module: an empty walk would prove nothing.
    expect(modules).toBe(listed.size);
  });

  it('give each command a distinct name within its noun', () => {
    const clashes = (commands: readonly Command[], where: string): string[] => {
      const names = commands.map((c) => c.command.split(' ')[0]);
      const repeated = names.filter((name, i) => names.indexOf(name) !== i).map((name) => `${where}${name}`);
      return [...repeated, ...commands.flatMap((c) => ('verbs' in c ? clashes(c.verbs, `${where}${c.command} `) : []))];
    };
    expect(clashes(COMMANDS, '')).toEqual([]);
  });
});
