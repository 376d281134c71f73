// The metrics endpoint: GET /metrics on tributary.metrics.host:tributary.metrics.port in
// Prometheus text format (what Prometheus, Grafana Agent, VictoriaMetrics... scrape). Off by
// default (port -1): the quick start opens one port only. Anything but GET /metrics is a 404/405.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPrometheus, type Sample } from './prometheus-text.js';

export class MetricsExporter {
  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(host: string, port: number, collect: () => Sample[]): Promise<MetricsExporter> {
    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
        return;
      }
      let body: string;
      try {
        body = renderPrometheus(collect());
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${(e as Error).message}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'the port is already in use (EADDRINUSE)' : err.message;
        reject(Object.assign(new Error(`cannot bind the metrics endpoint on ${host}:${port} (config key tributary.metrics.port): ${why}`), { code: err.code }));
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    return new MetricsExporter(server, (server.address() as AddressInfo).port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
