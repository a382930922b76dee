import { isConvoyError } from '@convoy/core';

/** For `.catch()`: a NOT_FOUND becomes `undefined` (the thing is already gone); anything else is rethrown. */
export function unlessNotFound(err: unknown): undefined {
  if (isConvoyError(err, 'NOT_FOUND')) return undefined;
  throw err;
}
