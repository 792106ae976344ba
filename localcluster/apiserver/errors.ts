// Kubernetes API errors: one error class whose fields map onto a `Status` body (code, reason,
// message, details), so every failure the API server returns names what was wrong.

export const StatusReason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  NotAcceptable: 'NotAcceptable',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Expired',
  Invalid: 'Invalid',
  UnsupportedMediaType: 'UnsupportedMediaType',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  InternalError: 'InternalError',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: this.message, reason: this.reason, code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** The resource as Kubernetes names it in messages: `pods "web-1"` or `deployments.apps "web"`. */
export function qualifiedName(group: string, plural: string, name: string): string {
  return `${group ? `${plural}.${group}` : plural} "${name}"`;
}

export const badRequest = (message: string, causes?: StatusCause[]): ApiError =>
  new ApiError(400, StatusReason.BadRequest, message, causes ? { causes } : undefined);

export const notFound = (group: string, plural: string, name: string): ApiError =>
  new ApiError(404, StatusReason.NotFound, `${qualifiedName(group, plural, name)} not found`, { name, group, kind: plural });

export const alreadyExists = (group: string, plural: string, name: string): ApiError =>
  new ApiError(409, StatusReason.AlreadyExists, `${qualifiedName(group, plural, name)} already exists`, { name, group, kind: plural });

export const conflict = (group: string, plural: string, name: string, why: string): ApiError =>
  new ApiError(409, StatusReason.Conflict,
    `Operation cannot be fulfilled on ${qualifiedName(group, plural, name)}: ${why}`, { name, group, kind: plural });

export const gone = (message: string): ApiError => new ApiError(410, StatusReason.Gone, message);

/** 422: `Kind "name" is invalid: field: reason` with one cause per problem. */
export function invalid(group: string, kind: string, name: string, causes: StatusCause[]): ApiError {
  const text = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new ApiError(422, StatusReason.Invalid, `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${text}`,
    { name, group, kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', ...c })) });
}

export const methodNotAllowed = (message: string): ApiError => new ApiError(405, StatusReason.MethodNotAllowed, message);
export const unsupportedMediaType = (message: string): ApiError => new ApiError(415, StatusReason.UnsupportedMediaType, message);
export const unauthorized = (message = 'Unauthorized'): ApiError => new ApiError(401, StatusReason.Unauthorized, message);
export const internalError = (message: string): ApiError => new ApiError(500, StatusReason.InternalError, message);
