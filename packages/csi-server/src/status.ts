import { type ErrorCode, isConvoyError, toConvoyError } from '@convoy/core';
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';

/**
 * A failure with the exact gRPC status the CSI spec prescribes for it (OUT_OF_RANGE for a
 * capacity, ABORTED for a bad page token, ...), where Convoy's own codes are not precise enough.
 */
export class CsiStatusError extends Error {
  override readonly name = 'CsiStatusError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.INVALID_ARGUMENT, message);
export const notFound = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.NOT_FOUND, message);
export const alreadyExists = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.ALREADY_EXISTS, message);
export const outOfRange = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.OUT_OF_RANGE, message);
export const failedPrecondition = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.FAILED_PRECONDITION, message);
export const aborted = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.ABORTED, message);
export const resourceExhausted = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.RESOURCE_EXHAUSTED, message);
export const unavailable = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.UNAVAILABLE, message);
export const unimplemented = (message: string): CsiStatusError => new CsiStatusError(GrpcStatus.UNIMPLEMENTED, message);

/** How each Convoy error code reads to a CO: retryable conditions stay retryable. */
const STATUS_OF: Record<ErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  NOT_SUPPORTED: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_DRIVER: GrpcStatus.INVALID_ARGUMENT,
  BUSY: GrpcStatus.FAILED_PRECONDITION,
  // A standby volume: activating it (an operator's decision) is the precondition, not a retry.
  STANDBY: GrpcStatus.FAILED_PRECONDITION,
  // Another host holds the store's lock: the CO's retry with backoff is the right answer.
  LOCKED: GrpcStatus.ABORTED,
  COMMAND_FAILED: GrpcStatus.INTERNAL,
  TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  CORRUPT: GrpcStatus.DATA_LOSS,
  // The backup target's store is encrypted and this daemon holds no key that opens it.
  KEY_REQUIRED: GrpcStatus.PERMISSION_DENIED,
  STORE_ERROR: GrpcStatus.UNAVAILABLE,
  // The caller gave up (a closed connection of Convoy's own API; gRPC cancels itself).
  CANCELLED: GrpcStatus.CANCELLED,
  STATE_ERROR: GrpcStatus.INTERNAL,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** Turns anything thrown by a handler into the status the client sees, never losing the message. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof CsiStatusError) return { code: err.code, details: err.message, metadata: new Metadata() };
  const convoy = isConvoyError(err) ? err : toConvoyError(err);
  const metadata = new Metadata();
  metadata.set('convoy-error-code', convoy.code);
  return { code: STATUS_OF[convoy.code], details: convoy.message, metadata };
}
