// The narrow view the client quota APIs take (DescribeClientQuotas, AlterClientQuotas).
import type { HasAuthorizer } from '../auth/acl/request-authz.js';
import type { QuotaStore } from '../quota/quota-store.js';
import type { HasLogger } from './handler-deps.js';

export interface QuotaDeps extends HasAuthorizer, HasLogger {
  readonly quotaStore: Pick<QuotaStore, 'all' | 'get' | 'alter'>;
}
