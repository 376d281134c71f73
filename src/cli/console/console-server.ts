// The web console's HTTP server: the static page (plain HTML/CSS/JS from ./static, read once at
// start) and the JSON API under /api/. Loopback by default; request bodies are bounded; unknown
// paths answer 404 and wrong methods 405. Writes need `Content-Type: application/json` and a
// same-origin Origin (when the browser sends one), so another web site cannot drive the console
// through a visitor's browser.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterClients } from './cluster-clients.js';
import { clusterOverview, groupDetail, groupList, topicDetail, topicList } from './cluster-read.js';
import { createTopic, deleteTopic, produceRecord, resetGroupOffsets } from './cluster-write.js';
import { ConsoleRequestError, toApiError } from './console-errors.js';
import { browseMessages, browseTopic } from './message-browser.js';
import { aggregationDetail, aggregationList } from './aggregations-read.js';
import { tierOverview } from './tier-read.js';
import { transactionOverview } from './transactions-read.js';

export const MAX_BODY_BYTES = 64 * 1024;
/**
 * API requests being worked on at once; beyond, 503 at once. Each holds requests to the cluster,
 * so a stuck cluster and a page left refreshing in many tabs cannot pile up work without end.
 */
export const MAX_IN_FLIGHT = 32;

export interface ConsoleOptions {
  /** host:port of the cluster, comma-separated for several. */
  bootstrap: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** TLS / SASL settings of the console's clients (see client-security.ts). */
  security?: import('@platformatic/kafka').ConnectionOptions;
}

export interface ConsoleServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  // The page's ES modules (no bundler: the browser loads each).
  ...Object.fromEntries(
    ['app.js', 'dom.js', 'refresh.js', 'charts.js', 'bytes.js', 'overview-page.js', 'topic-pages.js', 'group-pages.js', 'transactions-page.js', 'tier-page.js', 'aggregation-pages.js'].map((file) => [`/${file}`, { file, type: 'text/javascript; charset=utf-8' }]),
  ),
};

// The page runs only its own script and style: untrusted record contents can never run as code
// even if a rendering bug let markup through.
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

type Handler = (clients: ClusterClients, params: string[], url: URL, body: unknown) => Promise<unknown>;

interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
  status?: number;
}

function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new ConsoleRequestError('INVALID_REQUEST', `${name} must be an integer`);
  return Number(v);
}

function timeParam(url: URL): bigint | undefined {
  const v = url.searchParams.get('timestamp');
  if (v === null || v === '') return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(ms)) throw new ConsoleRequestError('INVALID_REQUEST', 'timestamp must be ms since the epoch or an ISO date');
  return BigInt(ms);
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/api\/cluster$/, handler: (c) => clusterOverview(c) },
  { method: 'GET', pattern: /^\/api\/topics$/, handler: (c) => topicList(c) },
  { method: 'POST', pattern: /^\/api\/topics$/, handler: (c, _p, _u, body) => createTopic(c, body), status: 201 },
  { method: 'GET', pattern: /^\/api\/topics\/([^/]+)$/, handler: (c, [name]) => topicDetail(c, name!) },
  { method: 'DELETE', pattern: /^\/api\/topics\/([^/]+)$/, handler: (c, [name]) => deleteTopic(c, name!) },
  {
    method: 'GET',
    pattern: /^\/api\/topics\/([^/]+)\/messages$/,
    handler: (c, [name], url) => {
      const offset = intParam(url, 'offset');
      const q = { offset: offset === undefined ? undefined : BigInt(offset), timestamp: timeParam(url), limit: intParam(url, 'limit') ?? 50 };
      // partition=all (or none given): the whole topic.
      const p = url.searchParams.get('partition');
      return p === null || p === '' || p === 'all' ? browseTopic(c, name!, q) : browseMessages(c, name!, { ...q, partition: intParam(url, 'partition')! });
    },
  },
  { method: 'POST', pattern: /^\/api\/topics\/([^/]+)\/messages$/, handler: (c, [name], _u, body) => produceRecord(c, name!, body), status: 201 },
  { method: 'GET', pattern: /^\/api\/groups$/, handler: (c) => groupList(c) },
  { method: 'GET', pattern: /^\/api\/transactions$/, handler: (c) => transactionOverview(c) },
  { method: 'GET', pattern: /^\/api\/tier$/, handler: (c) => tierOverview(c) },
  { method: 'GET', pattern: /^\/api\/aggregations$/, handler: (c) => aggregationList(c) },
  { method: 'GET', pattern: /^\/api\/aggregations\/([^/]+)$/, handler: (c, [name]) => aggregationDetail(c, name!) },
  { method: 'GET', pattern: /^\/api\/groups\/([^/]+)$/, handler: (c, [id]) => groupDetail(c, id!) },
  { method: 'POST', pattern: /^\/api\/groups\/([^/]+)\/reset-offsets$/, handler: (c, [id], _u, body) => resetGroupOffsets(c, id!, body) },
];

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...extra });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)), extra);
}

/** Reads a JSON body of at most MAX_BODY_BYTES; null when there is none. */
function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new ConsoleRequestError('PAYLOAD_TOO_LARGE', `request bodies are limited to ${MAX_BODY_BYTES} bytes`, 413));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(new ConsoleRequestError('PAYLOAD_TOO_LARGE', `request bodies are limited to ${MAX_BODY_BYTES} bytes`, 413));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size === 0) return resolve(null);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ConsoleRequestError('INVALID_REQUEST', 'the request body is not valid JSON'));
      }
    });
  });
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** The host name of a Host header (without the port). */
function hostName(header: string | undefined): string {
  if (!header) return '';
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(header);
  return m ? m[1]! : '';
}

/** A browser sends Origin on cross-site requests: it must name this server. */
function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  const bootstrap = opts.bootstrap.split(',').map((s) => s.trim()).filter(Boolean);
  if (bootstrap.length === 0) throw new Error('the console needs a bootstrap address (host:port)');
  const dir = new URL('./static/', import.meta.url);
  const files = new Map(Object.values(STATIC).map((s) => [s.file, fs.readFileSync(new URL(s.file, dir))]));
  const clients = new ClusterClients(bootstrap, opts.security);
  let inFlight = 0;
  const host = opts.host ?? '127.0.0.1';
  const loopbackOnly = LOOPBACK.test(host);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // Bound to loopback, the console answers only requests addressed to a loopback name: a web
    // page whose domain was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name as Host.
    if (loopbackOnly && !LOOPBACK.test(hostName(req.headers.host))) return send(res, 403, 'text/plain; charset=utf-8', 'This console only answers requests for localhost\n');
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (!path.startsWith('/api/')) {
      const s = STATIC[path];
      if (!s) return send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return send(res, 200, s.type, files.get(s.file)!);
    }
    const matching = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m);
    if (matching.length === 0) return sendJson(res, 404, { error: 'NOT_FOUND', message: `no such API: ${path}` });
    const hit = matching.find((x) => x.r.method === req.method);
    if (!hit) return sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed on ${path}` }, { Allow: matching.map((x) => x.r.method).join(', ') });
    if (inFlight >= MAX_IN_FLIGHT) return sendJson(res, 503, { error: 'TOO_MANY_REQUESTS', message: `${MAX_IN_FLIGHT} requests are already waiting for the cluster; try again` }, { 'Retry-After': '1' });
    inFlight++;
    try {
      let params: string[];
      try {
        params = hit.m!.slice(1).map((p) => decodeURIComponent(p));
      } catch {
        throw new ConsoleRequestError('INVALID_REQUEST', 'malformed percent-encoding in the path');
      }
      let body: unknown = null;
      if (req.method !== 'GET') {
        if (!sameOrigin(req)) throw new ConsoleRequestError('FORBIDDEN', 'cross-origin requests are refused', 403);
        const type = req.headers['content-type'] ?? '';
        if (req.method === 'POST' && !/^application\/json\b/i.test(type)) throw new ConsoleRequestError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', 415);
        body = await readBody(req);
      }
      const value = await hit.r.handler(clients, params, url, body);
      sendJson(res, hit.r.status ?? 200, value);
    } catch (e) {
      const { status, body } = toApiError(e);
      // A body cut off at the limit: answer, then drop the connection rather than read the rest.
      sendJson(res, status, body, status === 413 ? { Connection: 'close' } : {});
    } finally {
      inFlight--;
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'UNKNOWN_SERVER_ERROR', message: (e as Error).message });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await clients.close();
    },
  };
}
