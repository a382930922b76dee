import type { OptionSpec, Options } from './driver.js';
import { ConvoyError } from './errors.js';

/**
 * The one reader of key=value options, for driver options (`--driver-opts`), volume options
 * (`create --opt`, `docker volume create -o`) and store settings (`--store-opts`): every key
 * must be declared, and an unknown one — a typo like `vfs.pathh` or `siez` — is refused with the
 * keys that are known, instead of being silently ignored. Values are the owner's to check.
 */
export function checkDeclaredOptions(given: Options, declared: readonly OptionSpec[], owner: string): Options {
  const known = declared.map((spec) => spec.key);
  const unknown = Object.keys(given).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    const listed = `unknown option ${unknown.join(', ')} for ${owner}`;
    const message = known.length === 0 ? `${listed}, which takes no options` : `${listed}; known options: ${known.join(', ')}`;
    throw new ConvoyError('INVALID_ARGUMENT', message, { details: { unknown, known } });
  }
  return given;
}

/**
 * The options that belong to whoever declared `declared`: those under its keys' prefixes
 * (`vfs.` for `vfs.path`). Every `--driver-opts` pair reaches every driver, so each one checks
 * only its own namespace with `checkDeclaredOptions`.
 */
export function ownOptions(all: Options, declared: readonly OptionSpec[]): Options {
  const prefixes = new Set(declared.map((spec) => spec.key.slice(0, spec.key.indexOf('.') + 1)).filter((prefix) => prefix !== ''));
  return Object.fromEntries(Object.entries(all).filter(([key]) => [...prefixes].some((prefix) => key.startsWith(prefix))));
}

/** `--driver-opts`-style help: one line per option, with its default and whether it is required. */
export function describeOptions(declared: readonly OptionSpec[]): string[] {
  return declared.map((spec) => {
    const notes = [spec.required ? 'required' : undefined, spec.default === undefined ? undefined : `default ${spec.default}`].filter(Boolean);
    return `${spec.key}: ${spec.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
  });
}
