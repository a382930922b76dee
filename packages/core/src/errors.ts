/**
 * Typed errors. Every failure that crosses a package boundary is a ConvoyError with a stable
 * code, a message written for humans, an optional cause, and optional structured details.
 * They serialise to JSON (`toJSON`) so the daemon can send them to the CLI unchanged.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // bad input: a malformed name, size, URL, option or body
  | 'NOT_FOUND' // a volume, snapshot, backup or object that does not exist
  | 'ALREADY_EXISTS' // a name that is already taken
  | 'NOT_SUPPORTED' // a capability the driver or store does not have
  | 'BUSY' // refused because the thing is in use (mounted, referenced, held)
  | 'LOCKED' // a backup-store lock held by someone else
  | 'UNKNOWN_DRIVER' // a driver or object-store scheme that cannot be resolved
  | 'COMMAND_FAILED' // an external program exited non-zero
  | 'TIMEOUT' // an external program or request took too long
  | 'CORRUPT' // data failed verification (checksum, format)
  | 'STORE_ERROR' // the backup store failed (network, permissions, missing bucket)
  | 'STATE_ERROR' // local state is inconsistent or unreadable
  | 'CANCELLED' // the caller gave up (its client went away) and the operation was stopped
  | 'STANDBY' // a standby volume (convoy create --standby) refuses mounts, writes, snapshots and backups until `convoy standby activate`
  | 'KEY_REQUIRED' // an encrypted backup store needs a key that was not given, or the one given does not open it
  | 'INTERNAL'; // a bug

export interface ConvoyErrorJSON {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  cause?: string;
}

export class ConvoyError extends Error {
  override readonly name = 'ConvoyError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.details) this.details = options.details;
  }
  readonly details?: Record<string, unknown>;

  toJSON(): ConvoyErrorJSON {
    const out: ConvoyErrorJSON = { code: this.code, message: this.message };
    if (this.details) out.details = this.details;
    if (this.cause !== undefined) out.cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return out;
  }

  static fromJSON(json: ConvoyErrorJSON): ConvoyError {
    return new ConvoyError(json.code, json.message, json.details ? { details: json.details } : {});
  }
}

export function isConvoyError(err: unknown, code?: ErrorCode): err is ConvoyError {
  return err instanceof ConvoyError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a ConvoyError, keeping ConvoyErrors as they are. */
export function toConvoyError(err: unknown, fallback: ErrorCode = 'INTERNAL'): ConvoyError {
  if (err instanceof ConvoyError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ConvoyError(fallback, message, { cause: err });
}
