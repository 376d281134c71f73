// connection_creation_rate per IP (KIP-612), set with AlterClientQuotas: connections from the
// quota'd address beyond its rate are closed at once, while another address (127.0.0.2, same
// loopback) keeps connecting, and the quota'd address connects again once its window has passed.
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { apiVersionsAnswered, SHORT_QUOTA_WINDOWS } from '../helpers/connection-probe.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker(SHORT_QUOTA_WINDOWS);
});
afterAll(async () => {
  await tb?.cleanup();
});

const answered = (localAddress: string) => apiVersionsAnswered(tb.port, localAddress);

describe('connection_creation_rate per IP', () => {
  it('closes connections over the rate from that address only', async () => {
    const admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [tb.bootstrap] });
    try {
      const res = await admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'ip' as never, entityName: '127.0.0.1' }], ops: [{ key: 'connection_creation_rate' as never, value: 5, remove: false }] }] });
      expect(res[0]!.errorCode).toBe(0);
    } finally {
      await admin.close();
    }
    const limited: boolean[] = [];
    for (let i = 0; i < 10; i++) limited.push(await answered('127.0.0.1'));
    // 5 per second over the 1 s minimum span (quota.window.num=2): the first 5 pass.
    expect(limited.filter(Boolean).length).toBe(5);
    expect(limited.slice(0, 5).every(Boolean)).toBe(true);
    const other: boolean[] = [];
    for (let i = 0; i < 10; i++) other.push(await answered('127.0.0.2'));
    expect(other.every(Boolean)).toBe(true);
    // The window passes: the address may connect again.
    await new Promise((r) => setTimeout(r, 2100));
    expect(await answered('127.0.0.1')).toBe(true);
  });
});
