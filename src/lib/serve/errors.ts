/**
 * Every error a request can end with, as HTTP: a status and `{error: {code, message}}`, the
 * message one line, as the CLI prints it. The library's typed errors keep their names as codes
 * (UsageError, NotFoundError, QueryTimeoutError, ...); fastify's own (a body too large, a content
 * type no route takes) get names of their own.
 */
import { InputError, KcloudError, LockTimeoutError, NotFoundError, QueryTimeoutError } from '../errors.js';
import { DiskFullError, storeFailure } from '../store/failure.js';
import { StoreClosedError } from '../store/shared.js';

/** The service is at a limit (SSE clients): try again later (503). */
export class ServiceBusyError extends KcloudError {}

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
}

const oneLine = (m: string) =>
  m
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');

export const errorBody = (code: string, message: string): ErrorBody => ({
  error: { code, message: oneLine(message) },
});

/** Fastify's errors by their code: the status it gives them, and our name for them. */
const FRAMEWORK: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BodyTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MalformedBody',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MalformedBody',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BadRequest',
};

/** The status and body of `err` (the store at `db` named in store failures). */
export function httpError(err: Error & { statusCode?: number; code?: string }, db: string): HttpError {
  const failure = storeFailure(err, db);
  if (failure)
    return {
      status: failure instanceof DiskFullError ? 507 : 500,
      body: errorBody(failure.name, failure.message),
    };
  if (err instanceof NotFoundError) return { status: 404, body: errorBody(err.name, err.message) };
  if (err instanceof QueryTimeoutError || err instanceof LockTimeoutError)
    return { status: 503, body: errorBody(err.name, err.message) };
  if (err instanceof StoreClosedError) return { status: 503, body: errorBody('ShuttingDown', err.message) };
  if (err instanceof ServiceBusyError) return { status: 503, body: errorBody(err.name, err.message) };
  if (err instanceof InputError) return { status: 500, body: errorBody(err.name, err.message) };
  if (err instanceof KcloudError) {
    const status = err.exitCode === 2 ? 400 : err.exitCode === 3 ? 422 : 500;
    return { status, body: errorBody(err.name, err.message) };
  }
  const status = err.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (err.code && FRAMEWORK[err.code]) ?? 'BadRequest';
    return { status, body: errorBody(code, err.message) };
  }
  const first = (err.message ?? String(err)).split('\n')[0] ?? '';
  return { status: 500, body: errorBody('UnexpectedError', `unexpected error: ${first}`) };
}
