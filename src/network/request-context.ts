// What a handler sees of a request beyond its decoded body.
import type { Socket } from 'node:net';
import type { SaslSession } from '../auth/sasl-session.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ConnectionInfo {
  id: number;
  listenerName: string;
  remoteAddress: string;
  socket: Socket;
  /**
   * Kafka principal of the connection ("User:ANONYMOUS" until authentication sets it: PLAINTEXT
   * listeners never do). Authorization decisions use it.
   */
  principal: string;
  /** SASL state on SASL_PLAINTEXT / SASL_SSL listeners; absent elsewhere. */
  sasl?: SaslSession;
}

export interface RequestContext {
  header: RequestHeader;
  connection: ConnectionInfo;
  /** Monotonic receive time (performance.now()). */
  receivedAt: number;
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');
/** Returned by a handler when Kafka closes the connection instead of answering (acks=0 produce errors). */
export const CLOSE_CONNECTION = Symbol('close-connection');

/**
 * Answer, then close the connection shortly after (failed SASL authentication: Kafka sends the
 * error, delays the close a little to slow down password guessing, and stops reading meanwhile).
 */
export class RespondThenClose {
  constructor(readonly body: object) {}
}

export type HandlerOutcome = object | typeof NO_RESPONSE | typeof CLOSE_CONNECTION | RespondThenClose;

export interface ApiHandler<Req = any> {
  apiKey: number;
  /** Version range advertised in ApiVersions: only what is implemented and tested. */
  minVersion: number;
  maxVersion: number;
  handle(ctx: RequestContext, request: Req): HandlerOutcome | Promise<HandlerOutcome>;
  /** A response carrying `errorCode` everywhere, used when the handler itself fails unexpectedly. */
  errorResponse?(request: Req, errorCode: number, version: number): object;
}
