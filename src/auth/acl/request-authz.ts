// What handlers call: "may this request's principal, from its host, do OPERATION on RESOURCE?"
// Always yes when no authorizer is configured (authorizer.class.name empty), as in Kafka.
import type { RequestContext } from '../../network/request-context.js';
import type { Authorizer } from './authorizer.js';

export interface HasAuthorizer {
  authorizer: Authorizer | null;
}

/** The client's IP as Kafka's ACL hosts name it (IPv4-mapped IPv6 addresses unwrapped). */
export function clientHost(ctx: RequestContext): string {
  const ip = ctx.connection.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export function authorized(broker: HasAuthorizer, ctx: RequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = broker.authorizer;
  return !a || a.authorize(ctx.connection.principal, clientHost(ctx), operation, resourceType, name);
}

export function authorizedForAny(broker: HasAuthorizer, ctx: RequestContext, operation: number, resourceType: number): boolean {
  const a = broker.authorizer;
  return !a || a.authorizeAny(ctx.connection.principal, clientHost(ctx), operation, resourceType);
}
