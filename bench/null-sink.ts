// The null sink: a TCP server that speaks just enough Kafka to be driven by the same load
// generator as the broker, and does (almost) nothing else. Measured in the same run, it gives
// the ceiling that this machine, Node's socket layer and the generator allow; the report
// prints broker/null ratios. See null-sink-handlers.ts for what each API answers.
//
// Run as its own process (never in the generator's event loop):
//   tsx bench/null-sink.ts --port 0 [--host 127.0.0.1] [--partitions 4]
//        [--fetch-batch-bytes 262144] [--fetch-log-bytes 16777216] [--write-dir DIR]
// It prints one JSON line {"port":N} on stdout once listening (and sends it over IPC if forked).
//
// Per connection, responses leave strictly in request order: each request takes a slot; a
// long-polling Fetch holds its slot (and everything behind it) until data or its deadline.
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/index.js';
import { Reader } from '../protocol/wire/reader.js';
import { Writer } from '../protocol/wire/writer.js';
import { FrameAssembler } from './lib/frame-assembler.js';
import { SinkState, SUPPORTED, type Answer, type SinkOptions } from './null-sink-handlers.js';

interface Slot {
  correlationId: number;
  apiKey: number;
  apiVersion: number;
  chunks: Buffer[] | null;
  skip: boolean; // acks=0: no response at all
}

interface Parked {
  slot: Slot;
  answer: Extract<Answer, { kind: 'park' }>;
  conn: SinkConnection;
  timer: NodeJS.Timeout;
}

class SinkConnection {
  private readonly slots: Slot[] = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly server: NullSink,
  ) {
    socket.setNoDelay(true);
    const frames = new FrameAssembler(200 * 1024 * 1024, (f) => this.onRequest(f));
    socket.on('data', (chunk: Buffer) => {
      try {
        frames.push(chunk);
      } catch (err) {
        process.stderr.write(`null sink: ${(err as Error).stack}\n`);
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => server.forget(this));
  }

  private onRequest(frame: Buffer): void {
    const r = new Reader(frame);
    const apiKey = r.readInt16();
    const apiVersion = r.readInt16();
    const correlationId = r.readInt32();
    r.readNullableString(); // client id
    const range = SUPPORTED[apiKey];
    if (requestHeaderVersion(apiKey, apiVersion) === 2) r.skipTaggedFields();
    const slot: Slot = { correlationId, apiKey, apiVersion, chunks: null, skip: false };
    if (range === undefined || (apiKey !== 18 && (apiVersion < range[0] || apiVersion > range[1]))) {
      process.stderr.write(`null sink: unsupported api ${apiKey} v${apiVersion}\n`);
      this.socket.destroy(); // like Kafka: an API/version we never advertised closes the connection
      return;
    }
    this.slots.push(slot);
    let answer: Answer;
    try {
      answer = this.server.dispatch(apiKey, apiVersion, r);
    } catch (err) {
      // A request the sink cannot decode is a bug in the bench (or a client we do not model).
      process.stderr.write(`null sink: api ${apiKey} v${apiVersion}: ${(err as Error).stack}\n`);
      this.socket.destroy();
      return;
    }
    this.settle(slot, answer);
  }

  settle(slot: Slot, answer: Answer): void {
    if (answer.kind === 'park') {
      this.server.park({ slot, answer, conn: this, timer: null as unknown as NodeJS.Timeout });
      return;
    }
    if (answer.kind === 'none') slot.skip = true;
    else slot.chunks = this.frame(slot, answer.encode);
    this.flush();
  }

  private frame(slot: Slot, encode: (w: Writer) => void): Buffer[] {
    const w = new Writer(256);
    w.writeInt32(0); // size, patched below
    w.writeInt32(slot.correlationId);
    // ApiVersions always answers with header v0 (KIP-511), whatever the request version.
    if (slot.apiKey !== 18 && responseHeaderVersion(slot.apiKey, slot.apiVersion) === 1) w.writeUnsignedVarint(0);
    encode(w);
    w.setInt32At(0, w.length - 4);
    return w.toChunks();
  }

  private flush(): void {
    let n = 0;
    this.socket.cork();
    while (n < this.slots.length) {
      const s = this.slots[n]!;
      if (s.skip) {
        n++;
        continue;
      }
      if (s.chunks === null) break;
      for (const c of s.chunks) this.socket.write(c);
      n++;
    }
    this.socket.uncork();
    if (n > 0) this.slots.splice(0, n);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class NullSink {
  private readonly state: SinkState;
  private readonly conns = new Set<SinkConnection>();
  private readonly parked = new Map<string, Set<Parked>>();
  private readonly server: net.Server;

  constructor(opts: SinkOptions) {
    this.state = new SinkState(opts);
    this.server = net.createServer((s) => this.conns.add(new SinkConnection(s, this)));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const addr = this.server.address() as net.AddressInfo;
        this.state.opts.port = addr.port;
        resolve(addr.port);
      });
    });
  }

  dispatch(apiKey: number, apiVersion: number, r: Reader): Answer {
    switch (apiKey) {
      case 0:
        return this.state.produce(r, apiVersion, (key) => this.wake(key));
      case 1:
        return this.state.fetch(r, apiVersion);
      case 3:
        return this.state.metadata(r, apiVersion);
      case 18:
        return this.state.apiVersions(r, apiVersion);
      case 19:
        return this.state.createTopics(r, apiVersion);
      default:
        throw new Error(`api ${apiKey} not supported`);
    }
  }

  park(p: Parked): void {
    for (const k of p.answer.keys) {
      let set = this.parked.get(k);
      if (!set) this.parked.set(k, (set = new Set()));
      set.add(p);
    }
    p.timer = setTimeout(() => this.unpark(p, p.answer.timeout()), Math.max(0, p.answer.deadlineMs - Date.now()));
  }

  private wake(key: string): void {
    const set = this.parked.get(key);
    if (!set || set.size === 0) return;
    for (const p of [...set]) {
      const next = p.answer.retry();
      if (next.kind !== 'park') this.unpark(p, next);
    }
  }

  private unpark(p: Parked, answer: Answer): void {
    clearTimeout(p.timer);
    for (const k of p.answer.keys) this.parked.get(k)?.delete(p);
    p.conn.settle(p.slot, answer);
  }

  forget(c: SinkConnection): void {
    this.conns.delete(c);
  }

  close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      partitions: { type: 'string', default: '4' },
      'fetch-batch-bytes': { type: 'string', default: String(256 * 1024) },
      'fetch-log-bytes': { type: 'string', default: String(16 * 1024 * 1024) },
      'write-dir': { type: 'string' },
    },
  });
  const host = values.host!;
  const sink = new NullSink({
    host,
    port: 0,
    defaultPartitions: Number(values.partitions),
    fetchBatchBytes: Number(values['fetch-batch-bytes']),
    fetchLogBytes: Number(values['fetch-log-bytes']),
    writeDir: values['write-dir'],
  });
  const port = await sink.listen(host, Number(values.port));
  const msg = { port };
  process.stdout.write(`${JSON.stringify(msg)}\n`);
  process.send?.(msg);
  const stop = (): void => void sink.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
