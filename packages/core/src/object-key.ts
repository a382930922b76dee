import { ConvoyError } from './errors.js';

/**
 * The keys every object store accepts: relative `/`-separated paths with no empty, `.` or `..`
 * segment. A filesystem store would otherwise write outside its directory, and S3 would store
 * keys that no filesystem store can hold, so both refuse them alike.
 */
export function validateObjectKey(key: string): string {
  if (key === '' || key.endsWith('/')) throw badKey(key, 'an object key names a file, so it cannot be empty or end with /');
  return validateKeyPrefix(key);
}

/** A listing prefix: '' (everything) or a key's leading part, e.g. `dir/` or `dir/name-start`. */
export function validateKeyPrefix(prefix: string): string {
  if (prefix.length > 1024) throw badKey(prefix, 'longer than 1024 characters');
  if (prefix.startsWith('/')) throw badKey(prefix, 'keys are relative to the store; no leading /');
  if (/[\0\\]/.test(prefix)) throw badKey(prefix, 'NUL and backslash are not allowed');
  const segments = prefix.split('/');
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '..' || segment === '.' || (segment === '' && !last)) throw badKey(prefix, `segment ${JSON.stringify(segment)} is not allowed`);
  });
  return prefix;
}

function badKey(key: string, why: string): ConvoyError {
  return new ConvoyError('INVALID_ARGUMENT', `invalid object key ${JSON.stringify(key)}: ${why}`);
}
