// request_percentage and KIP-219 muting, with a raw client that ignores throttle_time_ms: once a
// response carries a throttle time, the broker reads nothing more from that connection for that
// long (the next response comes no sooner), while a client id without a quota is never throttled.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ 'quota.window.num': '2', 'quota.window.size.seconds': '1' });
});
afterAll(async () => {
  await tb?.cleanup();
});

describe('request_percentage quota', () => {
  it('throttles a busy client id and mutes its connection for the throttle time', async () => {
    const c = await RawClient.connect(tb.port);
    const alter = await c.send(49, 1, {
      entries: [{ entity: [{ entityType: 'client-id', entityName: 'raw-client' }], ops: [{ key: 'request_percentage', value: 0.01, remove: false }] }],
      validateOnly: false,
    });
    expect(alter.entries[0].errorCode).toBe(0);
    const describe = await c.send(48, 1, { components: [{ entityType: 'client-id', matchType: 0, match: 'raw-client' }], strict: true });
    expect(describe.entries).toEqual([{ entity: [{ entityType: 'client-id', entityName: 'raw-client' }], values: [{ key: 'request_percentage', value: 0.01 }] }]);
    // 0.01% of a thread = 0.1 ms of handler time per second: Metadata requests soon exceed it.
    let throttled = 0;
    for (let i = 0; i < 500 && throttled === 0; i++) {
      throttled = (await c.send(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).throttleTimeMs;
    }
    expect(throttled).toBeGreaterThan(0);
    // Bounded by one quota window, as Kafka bounds request-time throttles.
    expect(throttled).toBeLessThanOrEqual(1000);
    const sent = performance.now();
    await c.send(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }); // ApiVersions: exempt, but read only after the mute
    // The mute starts when the broker sends the throttled response; allow for that response's trip.
    expect(performance.now() - sent).toBeGreaterThanOrEqual(throttled - 50);
    c.close();
  });
});
