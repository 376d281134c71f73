// The dev cluster's control endpoint, on loopback only: failover drills while it runs.
//   GET  /status                        brokers, their state, the controller, the bootstrap string
//   POST /brokers/<id>/stop|kill|restart|start
// Actions need the header `x-tributary-control: 1`: a web page cannot send it cross-origin
// without a CORS preflight, which this server never grants, so a browser tab cannot kill brokers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControlAction } from './dev-cluster-args.js';

export const CONTROL_HEADER = 'x-tributary-control';

export interface ControlTarget {
  status(): unknown;
  act(action: ControlAction, nodeId: number): Promise<unknown>;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

const ACTIONS = new Set(['stop', 'kill', 'restart', 'start']);

export async function startControlServer(target: ControlTarget, port: number): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/status' || url.pathname === '/') {
      if (req.method !== 'GET') return send(405, { error: 'use GET' });
      return send(200, target.status());
    }
    const m = /^\/brokers\/(\d+)\/([a-z]+)$/.exec(url.pathname);
    if (!m || !ACTIONS.has(m[2]!)) return send(404, { error: `no such endpoint: ${url.pathname} (GET /status, POST /brokers/<id>/stop|kill|restart|start)` });
    if (req.method !== 'POST') return send(405, { error: 'use POST' });
    if (req.headers[CONTROL_HEADER] !== '1') return send(403, { error: `missing header ${CONTROL_HEADER}: 1` });
    req.resume();
    target.act(m[2] as ControlAction, Number(m[1])).then(
      (body) => send(200, body),
      (err: Error) => send(/no broker with node id/.test(err.message) ? 404 : 500, { error: err.message }),
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
