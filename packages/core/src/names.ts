import { randomBytes } from 'node:crypto';
import { ConvoyError } from './errors.js';

/** Convoy's name rule: two characters or more, never a path. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Longer names break filesystem and device-mapper limits long before they help anyone. */
export const NAME_MAX_LENGTH = 128;

export type NameKind = 'volume' | 'snapshot' | 'backup' | 'schedule';

export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= NAME_MAX_LENGTH && NAME_PATTERN.test(name);
}

/** Throws INVALID_ARGUMENT naming the problem; returns the name for chaining. */
export function validateName(name: unknown, kind: NameKind): string {
  if (typeof name !== 'string' || name === '') {
    throw new ConvoyError('INVALID_ARGUMENT', `${kind} name is required`);
  }
  if (name.length > NAME_MAX_LENGTH) {
    throw new ConvoyError('INVALID_ARGUMENT', `${kind} name is ${name.length} characters long; the limit is ${NAME_MAX_LENGTH}`);
  }
  if (!NAME_PATTERN.test(name)) {
    throw new ConvoyError(
      'INVALID_ARGUMENT',
      `invalid ${kind} name ${JSON.stringify(name)}: use at least 2 characters from [a-zA-Z0-9_.-], starting with a letter or digit`,
    );
  }
  return name;
}

/** `volume-`, `snapshot-` or `backup-` followed by 16 hex characters, as Convoy generated them. */
export function generateName(kind: NameKind): string {
  return `${kind}-${randomBytes(8).toString('hex')}`;
}
