// What a handler sees of a request beyond its decoded body.
import type { Socket } from 'node:net';
import type { ApiDescriptor } from '../../protocol/generated/apis.js';
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
  /** KIP-219 quota throttling: read no further request for `ms` (src/network/channel-mute.ts). */
  throttle?(ms: number): void;
}

export interface RequestContext {
  header: RequestHeader;
  connection: ConnectionInfo;
  /** Monotonic receive time (performance.now()). */
  receivedAt: number;
  /** Size of the request frame (producer_byte_rate quotas are on request bytes). */
  requestBytes?: number;
  /**
   * Set on a request unwrapped from an Envelope (KIP-590, src/handlers/envelope.ts): `connection`
   * then names the client (principal, address) and the request is never forwarded again.
   */
  forwarded?: true;
}

/** Returned by a handler when Kafka sends no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');
/** Returned by a handler when Kafka closes the connection instead of answering (acks=0 produce errors). */
export const CLOSE_CONNECTION = Symbol('close-connection');

/**
 * Answer, then close the connection shortly after (failed SASL authentication: Kafka sends the
 * error, delays the close a little to slow down password guessing, and stops reading meanwhile).
 */
export class RespondThenClose<Res extends object = object> {
  constructor(readonly body: Res) {}
}

export type HandlerOutcome<Res extends object = object> = Res | typeof NO_RESPONSE | typeof CLOSE_CONNECTION | RespondThenClose<Res>;

export interface ApiHandler<Req = any, Res extends object = object> {
  apiKey: number;
  /** Version range advertised in ApiVersions: only what is implemented and tested. */
  minVersion: number;
  maxVersion: number;
  handle(ctx: RequestContext, request: Req): HandlerOutcome<Res> | Promise<HandlerOutcome<Res>>;
  /**
   * A response carrying `errorCode` everywhere, used when the handler itself fails unexpectedly.
   * Always set by defineHandler; optional only for handlers not yet declared with it.
   */
  errorResponse?(request: Req, errorCode: number, version: number): Res;
}

/** What a handler declares beside the API it serves (defineHandler supplies the rest). */
export interface HandlerDefinition<Req extends object, Res extends object> {
  /**
   * The versions served, when narrower than the spec's (omitted: the spec's bound). ApiVersions
   * advertises only what is implemented and tested, so test/handlers/handler-descriptors.test.ts
   * pins the advertised table: a spec upgrade that widens an omitted bound fails it until the new
   * versions are checked.
   */
  minVersion?: number;
  maxVersion?: number;
  handle(ctx: RequestContext, request: Req): HandlerOutcome<Res> | Promise<HandlerOutcome<Res>>;
  /**
   * Kafka's getErrorResponse: `errorCode` on every entry the request named. Required, as every
   * Kafka request has one: it answers an unexpected handler failure (UNKNOWN_SERVER_ERROR), an
   * ACL refusal of the whole request and an error injected by control() (tributary/testing).
   */
  errorResponse(request: Req, errorCode: number, version: number): Res;
}

/**
 * A handler for one API, typed by its generated descriptor: the key and the request and response
 * types come from `Api.X`, so the handler states no key number and needs no casts. A range outside
 * the spec's is a programming error, caught when the handler table is built.
 */
export function defineHandler<Req extends object, Res extends object>(
  api: ApiDescriptor<Req, Res>,
  def: HandlerDefinition<NoInfer<Req>, NoInfer<Res>>,
): ApiHandler<Req, Res> {
  const minVersion = def.minVersion ?? api.minVersion;
  const maxVersion = def.maxVersion ?? api.maxVersion;
  if (minVersion < api.minVersion || maxVersion > api.maxVersion || minVersion > maxVersion) {
    throw new Error(`${api.name} handler serves v${minVersion}-${maxVersion}, outside the spec's v${api.minVersion}-${api.maxVersion}`);
  }
  return { apiKey: api.apiKey, minVersion, maxVersion, handle: def.handle, errorResponse: def.errorResponse };
}
