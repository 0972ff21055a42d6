/**
 * Errors in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`, with the HTTP status
 * that goes with each kind. Handlers throw ApiError; the router turns anything else into a 500.
 */
export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'server_error' | 'overloaded_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (Allow, Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 about one field of the request body. */
export function badField(param: string, message: string, code = 'invalid_value'): ApiError {
  return new ApiError(400, message, 'invalid_request_error', param, code);
}

export const notFound = (path: string) => new ApiError(404, `no route ${path}; see GET /v1/models, POST /v1/completions, GET /health`, 'not_found_error', null, 'unknown_route');

export const methodNotAllowed = (method: string, path: string, allow: string[]) =>
  new ApiError(405, `${path} takes ${allow.join(' or ')}, not ${method}`, 'invalid_request_error', null, 'method_not_allowed', { Allow: allow.join(', ') });

export const overloaded = (retryAfterS: number) =>
  new ApiError(503, `the server is at capacity (running and queue full); retry in ${retryAfterS} s`, 'overloaded_error', null, 'server_overloaded', { 'Retry-After': String(retryAfterS) });

export const shuttingDown = () => new ApiError(503, 'the server is shutting down', 'server_error', null, 'server_shutting_down', { 'Retry-After': '5' });
