import { ConvoyError, type ErrorCode, toConvoyError } from '@convoy/core';

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

interface FastifyRequestError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: AjvIssue[];
  validationContext?: string;
}

/** Where each error code lands on the HTTP status line of Convoy's API. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  // An unresolvable driver or store scheme is the caller's typo, not a server fault.
  UNKNOWN_DRIVER: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  BUSY: 409,
  LOCKED: 409,
  // A standby volume refuses writes until it is activated: the volume's state, not the request, is in the way.
  STANDBY: 409,
  // An encrypted store that needs a key the request did not bring (or a wrong one).
  KEY_REQUIRED: 403,
  NOT_SUPPORTED: 501,
  // The client closed its connection (nginx's "client closed request"); nobody reads it but the log.
  CANCELLED: 499,
};

export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}

function describeIssue(issue: AjvIssue): string {
  const where = issue.instancePath ? `field ${JSON.stringify(issue.instancePath.slice(1).replaceAll('/', '.'))}` : 'the body';
  switch (issue.keyword) {
    case 'additionalProperties':
      return `unknown field ${JSON.stringify(issue.params?.additionalProperty)}${issue.instancePath ? ` in ${where}` : ''}`;
    case 'required':
      return `missing field ${JSON.stringify(issue.params?.missingProperty)}${issue.instancePath ? ` in ${where}` : ''}`;
    default:
      return `${where} ${issue.message ?? 'is invalid'}`;
  }
}

/**
 * Turns whatever a request produced (a ConvoyError from the service, a schema failure, a body
 * the parser refused, a fastify limit) into a ConvoyError with a message a user can act on.
 * The second value is the HTTP status Convoy's API answers with.
 */
export function classifyRequestError(err: unknown, bodyLimit: number): { error: ConvoyError; status: number } {
  if (err instanceof ConvoyError) return { error: err, status: statusForCode(err.code) };
  const e = err as FastifyRequestError;
  if (Array.isArray(e.validation)) {
    const error = new ConvoyError('INVALID_ARGUMENT', `invalid request ${e.validationContext ?? 'body'}: ${e.validation.map(describeIssue).join('; ')}`, {
      details: { issues: e.validation.map((i) => ({ path: i.instancePath ?? '', keyword: i.keyword, message: i.message })) },
    });
    return { error, status: 400 };
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      error: new ConvoyError('INVALID_ARGUMENT', `request body is larger than the limit of ${bodyLimit} bytes`, { details: { bodyLimit } }),
      status: 413,
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { error: new ConvoyError('INVALID_ARGUMENT', e.message, { cause: err }), status: e.statusCode };
  }
  const error = toConvoyError(err);
  return { error, status: statusForCode(error.code) };
}
