/**
 * An error the simulated AWS answers with. `code` is what the SDK turns into
 * the thrown error's `name`; `status` is the HTTP status AWS uses for it.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** S3 adds context elements (`Key`, `BucketName`, …) to its error document. */
  readonly details: Record<string, string>;

  constructor(
    code: string,
    message: string,
    status?: number,
    details: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status ?? statusOf(code);
    this.details = details;
  }
}

/**
 * HTTP statuses as AWS sends them. EC2 documents server errors (capacity,
 * internal) as 5xx and answers throttling with 503; everything else a client
 * can cause is 4xx.
 */
const STATUS_BY_CODE: Record<string, number> = {
  // EC2
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  Blocked: 403,
  OptInRequired: 403,
  DryRunOperation: 412,
  RequestLimitExceeded: 503,
  InsufficientInstanceCapacity: 500,
  InsufficientCapacity: 500,
  InternalError: 500,
  ServerInternal: 500,
  InternalFailure: 500,
  Unavailable: 503,
  // S3
  AccessDenied: 403,
  InvalidAccessKeyId: 403,
  SignatureDoesNotMatch: 403,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotFound: 404,
  MethodNotAllowed: 405,
  BucketAlreadyOwnedByYou: 409,
  BucketAlreadyExists: 409,
  BucketNotEmpty: 409,
  PreconditionFailed: 412,
  InvalidRange: 416,
  NotImplemented: 501,
  SlowDown: 503,
  ServiceUnavailable: 503,
};

export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

/** What AWS says for the faults tests inject most, so a bare `{ error }` rule reads real. */
export const DEFAULT_MESSAGES: Record<string, string> = {
  RequestLimitExceeded: 'Request limit exceeded.',
  InternalError: 'An internal error has occurred',
  Unavailable: 'The service is unavailable. Please try again shortly.',
  AuthFailure: 'AWS was not able to validate the provided access credentials',
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Service is unable to handle request.',
  AccessDenied: 'Access Denied',
};
