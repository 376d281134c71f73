// The authorizer's decisions against Kafka's rules: implications, deny wins, LITERAL / wildcard /
// PREFIXED patterns, principal and host wildcards, super users, allow.everyone.if.no.acl.found,
// and that a change of the ACL set takes effect on the next decision (cached ones included).
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AclOperation as Op, PatternType, PermissionType, ResourceType as R, type AclBinding } from '../../src/auth/acl/acl-model.js';
import { AclStore } from '../../src/auth/acl/acl-store.js';
import { Authorizer } from '../../src/auth/acl/authorizer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function setup(acls: Partial<AclBinding>[], opts: { superUsers?: string[]; allowEveryone?: boolean } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acl-'));
  dirs.push(dir);
  const store = AclStore.inLogDir(dir);
  const full = acls.map((a) => ({
    resourceType: R.TOPIC,
    resourceName: 't',
    patternType: PatternType.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: Op.READ,
    permissionType: PermissionType.ALLOW,
    ...a,
  }));
  await store.change(full, []);
  const authz = new Authorizer(store, { superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryone ?? false });
  const can = (op: number, name = 't', principal = 'User:alice', host = '10.0.0.1', type: number = R.TOPIC) => authz.authorize(principal, host, op, type, name);
  return { store, authz, can };
}

describe('authorizer', () => {
  it('READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL implies everything', async () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
      const { can } = await setup([{ operation: op }]);
      expect(can(op)).toBe(true);
      expect(can(Op.DESCRIBE)).toBe(true);
      expect(can(Op.CREATE)).toBe(false);
    }
    expect((await setup([{ operation: Op.ALTER_CONFIGS }])).can(Op.DESCRIBE_CONFIGS)).toBe(true);
    expect((await setup([{ operation: Op.DESCRIBE }])).can(Op.READ)).toBe(false);
    const all = await setup([{ operation: Op.ALL }]);
    expect(all.can(Op.DELETE)).toBe(true);
    expect(all.can(Op.ALTER_CONFIGS)).toBe(true);
  });

  it('a matching DENY wins over any ALLOW; a DENY of READ does not deny DESCRIBE', async () => {
    const { can } = await setup([
      { operation: Op.ALL, principal: 'User:*' },
      { operation: Op.READ, permissionType: PermissionType.DENY },
    ]);
    expect(can(Op.READ)).toBe(false);
    expect(can(Op.DESCRIBE)).toBe(true);
    expect(can(Op.READ, 't', 'User:bob')).toBe(true);
  });

  it('LITERAL, the * wildcard and PREFIXED patterns', async () => {
    const { can } = await setup([
      { resourceName: 'orders-', patternType: PatternType.PREFIXED },
      { resourceName: '*', operation: Op.DESCRIBE },
    ]);
    expect(can(Op.READ, 'orders-eu')).toBe(true);
    expect(can(Op.READ, 'orders')).toBe(false);
    expect(can(Op.DESCRIBE, 'anything')).toBe(true);
  });

  it('hosts: an ACL for one address applies only to it', async () => {
    const { can } = await setup([{ host: '10.0.0.1' }]);
    expect(can(Op.READ, 't', 'User:alice', '10.0.0.1')).toBe(true);
    expect(can(Op.READ, 't', 'User:alice', '10.0.0.2')).toBe(false);
  });

  it('super.users bypass ACLs; allow.everyone.if.no.acl.found opens only resources no ACL names', async () => {
    const { can } = await setup([{ operation: Op.READ, principal: 'User:alice' }], { superUsers: ['User:admin'], allowEveryone: true });
    expect(can(Op.DELETE, 't', 'User:admin')).toBe(true);
    expect(can(Op.READ, 't', 'User:bob')).toBe(false);
    expect(can(Op.READ, 'unnamed', 'User:bob')).toBe(true);
    const closed = await setup([{ operation: Op.READ }]);
    expect(closed.can(Op.READ, 'unnamed')).toBe(false);
  });

  it('a change applies to the next decision, cached or not, and is persisted', async () => {
    const { store, can } = await setup([{ operation: Op.READ }]);
    expect(can(Op.READ)).toBe(true);
    await store.change([{ resourceType: R.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: PermissionType.DENY }], []);
    expect(can(Op.READ)).toBe(false);
    const reloaded = new AclStore(store.file);
    await reloaded.load();
    expect(reloaded.all()).toHaveLength(2);
  });

  it('authorizeAny: WRITE on some topic (InitProducerId without a transactional id)', async () => {
    const { authz } = await setup([{ operation: Op.WRITE, resourceName: 'out' }]);
    expect(authz.authorizeAny('User:alice', '10.0.0.1', Op.WRITE, R.TOPIC)).toBe(true);
    expect(authz.authorizeAny('User:bob', '10.0.0.1', Op.WRITE, R.TOPIC)).toBe(false);
  });
});
