// IP quota entities named by host name, as Kafka takes them: AlterClientQuotas accepts a name
// that resolves (and answers INVALID_REQUEST "<name> is not a valid IP or resolvable host." for
// one that does not), Describe shows the name as given, and connection_creation_rate applies to
// the address the name resolves to (localhost -> 127.0.0.1), not to other addresses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { apiVersionsAnswered, SHORT_QUOTA_WINDOWS } from '../helpers/connection-probe.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker(SHORT_QUOTA_WINDOWS);
});
afterAll(async () => {
  await tb?.cleanup();
});

const answered = (localAddress: string) => apiVersionsAnswered(tb.port, localAddress);

const ipEntity = (name: string) => [{ entityType: 'ip', entityName: name }];

describe('IP quotas by host name', () => {
  it('accepts a resolvable host name, refuses an unresolvable one with Kafka\'s message', async () => {
    const c = await RawClient.connect(tb.port, '127.0.0.1', '127.0.0.3');
    try {
      const res = await c.send(49, 1, {
        entries: [
          { entity: ipEntity('no-such-host.invalid'), ops: [{ key: 'connection_creation_rate', value: 3, remove: false }] },
          { entity: ipEntity('localhost'), ops: [{ key: 'connection_creation_rate', value: 3, remove: false }] },
        ],
        validateOnly: false,
      });
      expect(res.entries.map((e: { errorCode: number; errorMessage: string | null }) => [e.errorCode, e.errorMessage])).toEqual([
        [ErrorCode.INVALID_REQUEST, 'no-such-host.invalid is not a valid IP or resolvable host.'],
        [ErrorCode.NONE, null],
      ]);
      const described = await c.send(48, 1, { components: [{ entityType: 'ip', matchType: 2, match: null }], strict: false });
      expect(described.entries).toEqual([{ entity: ipEntity('localhost'), values: [{ key: 'connection_creation_rate', value: 3 }] }]);
    } finally {
      c.close();
    }
  });

  it('applies the quota to the resolved address only', async () => {
    // The name resolves asynchronously after the change: wait for the first refusal, then for the
    // window to pass, and measure a clean second.
    const deadline = Date.now() + 10_000;
    while (await answered('127.0.0.1')) if (Date.now() > deadline) throw new Error('localhost quota never applied to 127.0.0.1');
    await new Promise((r) => setTimeout(r, 2100));
    const limited: boolean[] = [];
    for (let i = 0; i < 8; i++) limited.push(await answered('127.0.0.1'));
    expect(limited.filter(Boolean).length).toBe(3);
    const other: boolean[] = [];
    for (let i = 0; i < 8; i++) other.push(await answered('127.0.0.2'));
    expect(other.every(Boolean)).toBe(true);
  });
});
