import { isConvoyError } from '../errors.js';

/** The message of the INVALID_ARGUMENT that `fn` throws; fails the test on anything else. */
export function invalidArgument(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isConvoyError(err, 'INVALID_ARGUMENT')) return err.message;
    throw err;
  }
  throw new Error('expected INVALID_ARGUMENT');
}
