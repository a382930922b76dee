import { ConvoyError, cancelledError } from '@convoy/core';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled']);

/** A missing key: GetObject says NoSuchKey, HeadObject (no body) only 404. */
export function isMissingObject(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket');
}

/** A range that starts past the object's end (HTTP 416): the ranged read is then empty. */
export function isUnsatisfiableRange(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'InvalidRange' || e?.$metadata?.httpStatusCode === 416;
}

/**
 * Turns an SDK failure into a ConvoyError that says what to do about it. A failure of a call
 * whose `signal` has fired is its cancellation (the SDK's AbortError, a body destroyed, a
 * backoff cut short): CANCELLED, or the signal's own ConvoyError. An AbortError with no signal
 * fired is lib-storage's own abort after a body failed, and stays a store error naming it.
 */
export function storeError(err: unknown, what: string, where: { bucket: string; endpoint?: string }, signal?: AbortSignal): ConvoyError {
  if (signal?.aborted) return cancelledError(signal, what);
  const e = err as SdkError;
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(err)}`;
  const details = { bucket: where.bucket, code: name, status: status ?? null };
  if (name === 'NoSuchBucket') {
    return new ConvoyError('NOT_FOUND', `S3 bucket ${where.bucket} does not exist (${what})`, { cause: err, details });
  }
  if (DENIED.has(name) || status === 403) {
    return new ConvoyError(
      'STORE_ERROR',
      `S3 refused ${what} in bucket ${where.bucket}: ${detail}. Check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials or the instance role) and their permissions`,
      { cause: err, details },
    );
  }
  if (name === 'CredentialsProviderError') {
    return new ConvoyError(
      'STORE_ERROR',
      `no AWS credentials found for ${what}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, write ~/.aws/credentials, or run with an instance role`,
      { cause: err, details },
    );
  }
  if (/region is missing/i.test(e?.message ?? '')) {
    return new ConvoyError('INVALID_ARGUMENT', `no S3 region: write s3://${where.bucket}@<region>/..., set AWS_REGION, or set the s3.region option`, {
      cause: err,
      details,
    });
  }
  const server = where.endpoint ?? 'S3';
  return new ConvoyError('STORE_ERROR', `${what} failed against ${server} (bucket ${where.bucket}): ${detail}`, { cause: err, details });
}
