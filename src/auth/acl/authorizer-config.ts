// authorizer.class.name / super.users / allow.everyone.if.no.acl.found -> the broker's Authorizer.
import type { BrokerConfig } from '../../config/broker-config.js';
import { ConfigError } from '../../config/errors.js';
import type { AclStore } from './acl-store.js';
import { Authorizer, KAFKA_AUTHORIZER_CLASSES } from './authorizer.js';

export { Authorizer };

export function createAuthorizer(config: BrokerConfig, store: AclStore): Authorizer | null {
  const cls = (config.get('authorizer.class.name') ?? '').trim();
  if (cls === '') return null;
  if (!(KAFKA_AUTHORIZER_CLASSES as readonly string[]).includes(cls)) {
    throw ConfigError.invalid('authorizer.class.name', cls, `Unknown authorizer; use one of ${KAFKA_AUTHORIZER_CLASSES.join(', ')}`);
  }
  const superUsers = (config.get('super.users') ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  return new Authorizer(store, { superUsers, allowEveryoneIfNoAclFound: config.get('allow.everyone.if.no.acl.found') });
}
