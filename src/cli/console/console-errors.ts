// Errors the console's JSON API answers with: a Kafka error name (TOPIC_ALREADY_EXISTS, ...) and a
// one-line message, never a stack trace. The HTTP status only sorts them for scripts; the page
// shows the name and the message.
import { errorText } from '../client/common.js';

/** A mistake in the request to the console itself (HTTP 400 unless said otherwise). */
export class ConsoleRequestError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface ApiError {
  status: number;
  body: { error: string; message: string };
}

// Kafka errors that say "the thing you asked about is not there" or "not in that state".
const NOT_FOUND = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID', 'GROUP_ID_NOT_FOUND']);
const CONFLICT = new Set(['TOPIC_ALREADY_EXISTS', 'NON_EMPTY_GROUP', 'GROUP_SUBSCRIBED_TO_TOPIC']);

interface ClientError {
  apiId?: unknown;
  serverErrorMessage?: unknown;
  message?: unknown;
  errors?: unknown[];
  cause?: unknown;
}

/**
 * The first Kafka error (apiId) in the client's error or its nested errors, with the broker's own
 * message when it sent one (e.g. why a topic name is illegal), else the code's description.
 */
export function kafkaError(e: unknown, depth = 0): { name: string; message: string } | null {
  const err = e as ClientError | null;
  if (!err || typeof err !== 'object' || depth > 5) return null;
  if (typeof err.apiId === 'string' && err.apiId) {
    const server = typeof err.serverErrorMessage === 'string' && err.serverErrorMessage ? err.serverErrorMessage : null;
    return { name: err.apiId, message: server ?? String(err.message ?? err.apiId) };
  }
  for (const inner of err.errors ?? []) {
    const found = kafkaError(inner, depth + 1);
    if (found) return found;
  }
  return kafkaError(err.cause, depth + 1);
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ConsoleRequestError) return { status: e.status, body: { error: e.errorName, message: e.message } };
  const k = kafkaError(e);
  if (k) {
    const status = NOT_FOUND.has(k.name) ? 404 : CONFLICT.has(k.name) ? 409 : 502;
    return { status, body: { error: k.name, message: k.message } };
  }
  // No Kafka error code: the cluster could not be reached, or the client gave up.
  const code = (e as NodeJS.ErrnoException)?.code;
  const text = errorText(e);
  const unreachable = /ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|connect|timeout|timed out/i.test(`${code ?? ''} ${text}`);
  return { status: 502, body: { error: unreachable ? 'NETWORK_EXCEPTION' : 'UNKNOWN_SERVER_ERROR', message: text } };
}
