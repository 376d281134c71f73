// Request interception for test suites (createTestCluster().control, in the spirit of franz-go
// kfake's ControlKey): a function sees every decoded request of one API and may delay it, answer
// it with a Kafka error, answer it with a response of its own, or drop the connection, so users
// can test how their clients handle broker failures.
//
// Hooked in at the handler lookup: with no control installed, `get` is the plain table lookup
// plus one size check, so the broker's hot path is unchanged.
import { ErrorCode } from '../../protocol/errors.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import type { HandlerLookup } from './connection.js';
import { CLOSE_CONNECTION, type ApiHandler, type HandlerOutcome, type RequestContext } from './request-context.js';

export type KafkaErrorName = keyof typeof ErrorCode;

/** What a control function asks the broker to do with one request. */
export interface ControlAction {
  /** Wait this long first, then do the rest (or pass the request on when nothing else is set). */
  delayMs?: number;
  /**
   * Answer with this Kafka error code (a number, or its name such as 'NOT_COORDINATOR') in every
   * error field of the response, as Kafka's getErrorResponse does. The broker does not act on the
   * request.
   */
  error?: number | KafkaErrorName;
  /** Close the client's connection without answering (a broker crash as the client sees it). */
  drop?: boolean;
  /** Answer with this response body as is (fields as in protocol/generated/<api>.ts). */
  response?: object;
}

/** `undefined` (or 'pass') lets the broker handle the request normally; 'drop' = { drop: true }. */
export type ControlDecision = ControlAction | 'drop' | 'pass' | undefined | void;

export interface ControlRequestInfo {
  apiKey: number;
  /** API name as in Kafka's specs, e.g. 'Produce', 'FindCoordinator'. */
  apiName: string;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Broker-local connection id, to tell clients apart. */
  connectionId: number;
}

export type ControlFn<Req = any> = (request: Req, info: ControlRequestInfo) => ControlDecision | Promise<ControlDecision>;

export interface ControlOptions {
  /**
   * Remove the control after it acted (returned anything but pass) this many times. Default:
   * never; call `remove()`.
   */
  times?: number;
}

export interface ControlHandle {
  /** Stop intercepting; requests already being delayed still complete. */
  remove(): void;
  /** Requests the function has seen so far. */
  readonly seen: number;
  /** Requests it acted on (delayed, failed, answered or dropped). */
  readonly acted: number;
}

interface Installed {
  fn: ControlFn;
  times: number;
  seen: number;
  acted: number;
  removed: boolean;
}

/** Resolves an API key given as a number or a name ('Produce', 'fetch', 'FindCoordinator'). */
export function resolveApiKey(api: number | string): number {
  if (typeof api === 'number') {
    if (!API_CODECS.has(api)) throw new Error(`unknown API key ${api}`);
    return api;
  }
  const wanted = api.toLowerCase();
  for (const codec of API_CODECS.values()) if (codec.name.toLowerCase() === wanted) return codec.apiKey;
  throw new Error(`unknown API name '${api}' (use the names of Kafka's specs, e.g. 'Produce', 'FindCoordinator')`);
}

function errorCodeOf(error: number | string): number {
  if (typeof error === 'number') return error;
  const code = (ErrorCode as Record<string, number>)[error];
  if (code === undefined) throw new Error(`unknown Kafka error name '${error}'`);
  return code;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RequestControls {
  private readonly byApi = new Map<number, Installed[]>();
  private readonly wrapped = new Map<number, ApiHandler>();
  private base: HandlerLookup | null = null;

  /** `report` hears about control functions that throw (the client then gets UNKNOWN_SERVER_ERROR). */
  constructor(private readonly report: (err: Error, info: ControlRequestInfo) => void = () => {}) {}

  /** The lookup the network server uses: the broker's handlers, wrapped where controls are installed. */
  wrap(base: HandlerLookup): HandlerLookup {
    this.base = base;
    const wrapped = this.wrapped;
    return {
      get: (apiKey) => (wrapped.size === 0 ? base.get(apiKey) : (wrapped.get(apiKey) ?? base.get(apiKey))),
      apiVersionsFallback: () => base.apiVersionsFallback(),
    };
  }

  install(api: number | string, fn: ControlFn, opts: ControlOptions = {}): ControlHandle {
    const apiKey = resolveApiKey(api);
    if (this.base && !this.base.get(apiKey)) throw new Error(`${API_CODECS.get(apiKey)!.name} (API key ${apiKey}) is not served by this broker`);
    const entry: Installed = { fn, times: opts.times ?? Infinity, seen: 0, acted: 0, removed: false };
    const list = this.byApi.get(apiKey) ?? [];
    list.push(entry);
    this.byApi.set(apiKey, list);
    this.refresh(apiKey);
    return {
      remove: () => this.uninstall(apiKey, entry),
      get seen() {
        return entry.seen;
      },
      get acted() {
        return entry.acted;
      },
    };
  }

  /** Removes every control. */
  clear(): void {
    for (const list of this.byApi.values()) for (const e of list) e.removed = true;
    this.byApi.clear();
    this.wrapped.clear();
  }

  private uninstall(apiKey: number, entry: Installed): void {
    if (entry.removed) return;
    entry.removed = true;
    const list = (this.byApi.get(apiKey) ?? []).filter((e) => e !== entry);
    if (list.length === 0) this.byApi.delete(apiKey);
    else this.byApi.set(apiKey, list);
    this.refresh(apiKey);
  }

  private refresh(apiKey: number): void {
    const handler = this.base?.get(apiKey);
    if (!this.byApi.has(apiKey) || !handler) {
      this.wrapped.delete(apiKey);
      return;
    }
    this.wrapped.set(apiKey, { ...handler, handle: (ctx, req) => this.intercept(apiKey, handler, ctx, req) });
  }

  private async intercept(apiKey: number, handler: ApiHandler, ctx: RequestContext, request: unknown): Promise<HandlerOutcome> {
    const info: ControlRequestInfo = {
      apiKey,
      apiName: API_CODECS.get(apiKey)!.name,
      apiVersion: ctx.header.apiVersion,
      correlationId: ctx.header.correlationId,
      clientId: ctx.header.clientId,
      connectionId: ctx.connection.id,
    };
    // The first control (in installation order) that acts decides; the others do not see it.
    let action: ControlAction | null = null;
    try {
      for (const entry of [...(this.byApi.get(apiKey) ?? [])]) {
        if (entry.removed) continue;
        entry.seen++;
        const decision = await entry.fn(request, info);
        if (decision === undefined || decision === 'pass') continue;
        entry.acted++;
        if (entry.acted >= entry.times) this.uninstall(apiKey, entry);
        action = decision === 'drop' ? { drop: true } : decision;
        if (action.error !== undefined) errorCodeOf(action.error); // fail here on an unknown name
        break;
      }
    } catch (err) {
      this.report(err as Error, info);
      throw err;
    }
    if (action === null) return handler.handle(ctx, request);
    if (action.delayMs !== undefined && action.delayMs > 0) await delay(action.delayMs);
    if (action.drop) return CLOSE_CONNECTION;
    if (action.response !== undefined) return action.response;
    if (action.error !== undefined) {
      if (!handler.errorResponse) {
        throw new Error(`control: cannot answer ${info.apiName} with an error (no error response for this API); use { response } or { drop: true }`);
      }
      return handler.errorResponse(request, errorCodeOf(action.error), ctx.header.apiVersion);
    }
    return handler.handle(ctx, request);
  }
}
