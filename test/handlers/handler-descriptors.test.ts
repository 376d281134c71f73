// Every registered handler is declared against its generated descriptor (defineHandler), serves a
// range inside the spec's validVersions, and the table ApiVersions advertises is pinned here: a
// spec upgrade or a handler change that widens or narrows what the broker claims fails this test
// until the pin is updated on purpose.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, type ApiDescriptor } from '../../protocol/generated/apis.js';
import { loadAllSpecs } from '../../protocol/generator/spec-loader.js';
import { buildHandlers } from '../../src/handlers/registry.js';
import { defineHandler, type ApiHandler } from '../../src/network/request-context.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

/** [apiKey, minVersion, maxVersion] as ApiVersions advertised them before handlers were typed by descriptors. */
const ADVERTISED: [number, number, number][] = [
  [0, 0, 13], [1, 0, 18], [2, 0, 11], [3, 0, 13], [8, 0, 10], [9, 0, 10], [10, 0, 6], [11, 0, 9], [12, 0, 4],
  [13, 0, 5], [14, 0, 5], [15, 0, 6], [16, 0, 5], [17, 0, 1], [18, 0, 5], [19, 0, 7], [20, 0, 6], [21, 0, 2],
  [22, 0, 5], [23, 0, 4], [24, 0, 5], [25, 0, 4], [26, 0, 5], [27, 0, 1], [28, 0, 6], [29, 1, 3], [30, 1, 3],
  [31, 1, 3], [32, 0, 4], [33, 0, 2], [35, 0, 4], [36, 0, 2], [37, 0, 3], [38, 1, 3], [39, 1, 2], [40, 1, 2], [41, 1, 3], [42, 0, 3], [43, 0, 2], [44, 0, 1],
  [45, 0, 1], [46, 0, 0], [47, 0, 0], [48, 0, 1], [49, 0, 1], [50, 0, 0], [51, 0, 0], [60, 0, 2], [61, 0, 0], [65, 0, 0], [66, 0, 2],
  [68, 0, 1], [69, 0, 1], [75, 0, 0],
  // Share groups (KIP-932): ShareGroupHeartbeat, ShareGroupDescribe, ShareFetch, ShareAcknowledge, Describe/Alter/DeleteShareGroupOffsets.
  [76, 1, 1], [77, 1, 1], [78, 1, 2], [79, 1, 2], [90, 0, 1], [91, 0, 0], [92, 0, 0],
];

const descriptors = new Map<number, ApiDescriptor>(Object.values(Api).map((d) => [d.apiKey, d]));
/** The request specs read by the generator's own loader (removed-versions.json applied), not the generated code. */
const specs = new Map(
  loadAllSpecs(path.resolve(import.meta.dirname, '../../protocol/specs'))
    .filter((s) => s.type === 'request')
    .map((s) => [s.apiKey!, s]),
);

describe('handler table vs generated descriptors', () => {
  let tb: TestBroker;
  let handlers: ApiHandler[];
  beforeAll(async () => {
    tb = await startTestBroker();
    const lookup = buildHandlers(tb.broker);
    handlers = ADVERTISED.map(([k]) => lookup.get(k)).filter((h): h is ApiHandler => h !== undefined);
  });
  afterAll(() => tb?.cleanup());

  it('advertises exactly the pinned ranges', async () => {
    const body = buildHandlers(tb.broker).apiVersionsFallback() as { apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[] };
    expect(body.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion])).toEqual(ADVERTISED);
    expect(handlers).toHaveLength(ADVERTISED.length);
  });

  it("each descriptor carries its spec's key, name and validVersions", () => {
    expect(descriptors.size).toBe(specs.size);
    for (const [key, d] of descriptors) {
      const spec = specs.get(key);
      expect(spec, `spec for api key ${key}`).toBeDefined();
      expect([d.name, d.minVersion, d.maxVersion]).toEqual([spec!.name.replace(/Request$/, ''), spec!.valid.lo, spec!.valid.hi]);
    }
  });

  it("every registered handler serves a range inside its descriptor's (the spec's validVersions)", () => {
    for (const h of handlers) {
      const d = descriptors.get(h.apiKey);
      expect(d, `descriptor for api key ${h.apiKey}`).toBeDefined();
      const spec = specs.get(h.apiKey)!;
      expect(h.minVersion, `${d!.name} min`).toBeGreaterThanOrEqual(Math.max(d!.minVersion, spec.valid.lo));
      expect(h.maxVersion, `${d!.name} max`).toBeLessThanOrEqual(Math.min(d!.maxVersion, spec.valid.hi));
      expect(h.minVersion, `${d!.name} range`).toBeLessThanOrEqual(h.maxVersion);
    }
  });

  it("defineHandler takes the key from the descriptor and refuses ranges outside the spec's", () => {
    const handle = () => ({ throttleTimeMs: 0, errorCode: 0 });
    const errorResponse = (_req: unknown, errorCode: number) => ({ throttleTimeMs: 0, errorCode });
    const h = defineHandler(Api.Heartbeat, { maxVersion: 3, handle, errorResponse });
    expect([h.apiKey, h.minVersion, h.maxVersion]).toEqual([12, 0, 3]);
    expect(defineHandler(Api.Heartbeat, { handle, errorResponse }).maxVersion).toBe(Api.Heartbeat.maxVersion);
    expect(() => defineHandler(Api.Heartbeat, { maxVersion: Api.Heartbeat.maxVersion + 1, handle, errorResponse })).toThrow(/outside the spec's/);
    expect(() => defineHandler(Api.Heartbeat, { minVersion: 3, maxVersion: 2, handle, errorResponse })).toThrow(/outside the spec's/);
  });

  it('default response builders give every field its spec default, fresh each call', () => {
    const a = Api.FindCoordinator.defaultResponse();
    expect(a).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: '', nodeId: 0, host: '', port: 0, coordinators: [] });
    a.coordinators.push({ key: 'g', nodeId: 1, host: 'h', port: 1, errorCode: 0, errorMessage: null });
    expect(Api.FindCoordinator.defaultResponse().coordinators).toEqual([]);
  });
});
