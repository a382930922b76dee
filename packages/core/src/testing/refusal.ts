import { type ErrorCode, isConvoyError } from '../errors.js';

/** The message of the ConvoyError with `code` that `fn` throws; fails the test on anything else. */
export function refusal(code: ErrorCode, fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isConvoyError(err, code)) return err.message;
    throw err;
  }
  throw new Error(`expected ${code}`);
}

/** The message of the INVALID_ARGUMENT that `fn` throws; fails the test on anything else. */
export const invalidArgument = (fn: () => unknown): string => refusal('INVALID_ARGUMENT', fn);
