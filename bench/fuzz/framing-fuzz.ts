// Framing fuzz against a spawned broker (`npm run fuzz:framing [-- --frames N --connections C --seed S]`).
//
// Many connections, each sending a random script: valid requests (ApiVersions, Metadata, some
// padded up to socket.request.max.bytes) followed by one ending -- an invalid size prefix (0, 1-7,
// negative, > max), a valid size with a garbage body, a truncated frame, random garbage, or a
// clean close -- written in random splits (some a macrotask apart so they arrive as separate reads).
// Meanwhile a probe opens a fresh connection every 500 ms and times an ApiVersions request.
//
// Reports: crashes (the broker process exited: must be 0), hangs (a probe unanswered within 5 s:
// must be 0), the slowest probe, requests unanswered on cleanly closed connections, how many
// connections the broker closed, error log lines (e.g. unexpected errors caught by the connection guard),
// and the broker's peak RSS (VmHWM from /proc/<pid>/status).
import net from 'node:net';
import { parseArgs } from 'node:util';
import { spawnBroker } from '../../test/helpers/spawned-broker.js';
import { rng as prng } from '../../test/protocol/records/random-data.js';

const { values: args } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    connections: { type: 'string', default: '32' },
    seed: { type: 'string', default: '1' },
    'max-bytes': { type: 'string', default: '1048576' },
  },
});
const TOTAL_FRAMES = Number(args.frames);
const CONCURRENCY = Number(args.connections);
const MAX = Number(args['max-bytes']);
const PROBE_EVERY_MS = 500;
const HANG_MS = 5000;

const rnd = prng(Number(args.seed));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function prefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size | 0, 0);
  return b;
}
function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (rnd() * 256) | 0;
  return b;
}

// Pre-encoded valid requests (header v1 with client id "fz"): bodies that need nothing but a header.
function request(apiKey: number, version: number, body: Buffer, corr: number, padTo = 0): Buffer {
  const header = Buffer.alloc(2 + 2 + 4 + 2 + 2);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(corr, 4);
  header.writeInt16BE(2, 8);
  header.write('fz', 10, 'latin1');
  const size = Math.max(header.length + body.length, padTo);
  const out = Buffer.alloc(4 + size);
  out.writeInt32BE(size, 0);
  header.copy(out, 4);
  body.copy(out, 4 + header.length);
  return out;
}
// ApiVersions v0..v2: empty body. Metadata v1: topics array of length 0 (all topics... v1 null = all; 0 = none).
const VALID: (() => Buffer)[] = [
  () => request(18, 0, Buffer.alloc(0), int(1, 1e9)),
  () => request(18, 1, Buffer.alloc(0), int(1, 1e9)),
  () => request(18, 2, Buffer.alloc(0), int(1, 1e9)),
  () => request(3, 1, Buffer.from([0, 0, 0, 0]), int(1, 1e9)),
  () => request(3, 4, Buffer.from([0, 0, 0, 0, 0]), int(1, 1e9)),
];
function validFrame(): Buffer {
  // Padding (trailing bytes the decoder ignores) exercises large frames, up to exactly the max.
  if (rnd() < 0.002) return request(18, 0, Buffer.alloc(0), int(1, 1e9), rnd() < 0.5 ? MAX : int(1000, MAX));
  return pick(VALID)();
}

type Ending = 'invalid-size' | 'garbage-body' | 'truncated' | 'garbage' | 'clean';
interface Script {
  bytes: Buffer;
  /** Length of the valid requests at the start of `bytes`. */
  validBytes: number;
  validFrames: number;
  ending: Ending;
}

function script(): Script {
  const valid = rnd() < 0.1 ? 0 : int(1, 60);
  const parts: Buffer[] = [];
  for (let i = 0; i < valid; i++) parts.push(validFrame());
  const validBytes = parts.reduce((n, p) => n + p.length, 0);
  const ending = pick<Ending>(['invalid-size', 'invalid-size', 'garbage-body', 'truncated', 'garbage', 'clean']);
  switch (ending) {
    case 'invalid-size': {
      const size = pick([0, 0, 1, 2, 3, int(4, 7), -1, -0x80000000, int(-1e9, -2), MAX + 1, 0x7fffffff]);
      parts.push(prefix(size), randomBytes(int(0, 32)));
      break;
    }
    case 'garbage-body': {
      const n = int(8, 300);
      parts.push(prefix(n), randomBytes(n));
      break;
    }
    case 'truncated': {
      const f = rnd() < 0.2 ? request(18, 0, Buffer.alloc(0), 1, int(100, MAX)) : validFrame();
      parts.push(f.subarray(0, int(1, f.length - 1)));
      break;
    }
    case 'garbage':
      parts.push(randomBytes(int(1, 200)));
      break;
    case 'clean':
      break;
  }
  return { bytes: Buffer.concat(parts), validBytes, validFrames: valid, ending };
}

interface Stats {
  framesSent: number;
  connections: number;
  brokerClosed: number;
  cleanWithMissingResponses: number;
  /** Connections that waited for their valid requests' answers before sending the bad ending. */
  answeredFirst: number;
  answeredFirstMissing: number;
  responses: number;
  connectErrors: number;
  probes: number;
  probeMaxMs: number;
  hangs: number;
}
const stats: Stats = { framesSent: 0, connections: 0, brokerClosed: 0, cleanWithMissingResponses: 0, answeredFirst: 0, answeredFirstMissing: 0, responses: 0, connectErrors: 0, probes: 0, probeMaxMs: 0, hangs: 0 };

/** Counts complete response frames in a stream. */
function responseCounter(): (d: Buffer) => number {
  let pending: Buffer = Buffer.alloc(0);
  return (d) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    let n = 0;
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      pending = pending.subarray(4 + pending.readInt32BE(0));
      n++;
    }
    return n;
  };
}

function runConnection(port: number, s: Script): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let answered = 0;
    let onAnswer: (() => void) | null = null;
    let done = false;
    let clientEnded = false;
    const count = responseCounter();
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      sock.destroy();
      resolve();
    };
    // Nothing may take this long; if it does, the hang probe will have said so already.
    const guard = setTimeout(finish, 60_000);
    sock.on('error', () => {
      if (!sock.connecting) return;
      stats.connectErrors++;
    });
    sock.on('data', (d) => {
      answered += count(d);
      onAnswer?.();
      if (s.ending === 'clean' && answered >= s.validFrames) {
        clientEnded = true;
        finish();
      }
    });
    sock.on('close', () => {
      if (!clientEnded) stats.brokerClosed++;
      if (s.ending === 'clean' && answered < s.validFrames) stats.cleanWithMissingResponses++;
      stats.responses += answered;
      onAnswer?.();
      finish();
    });
    sock.on('connect', async () => {
      stats.connections++;
      // Random split points; some pieces a macrotask or a millisecond apart.
      const mode = rnd();
      const write = async (bytes: Buffer) => {
        const cuts = Array.from({ length: int(0, 8) }, () => int(0, bytes.length)).sort((a, b) => a - b);
        let prev = 0;
        for (const c of [...cuts, bytes.length]) {
          if (c > prev && !sock.destroyed) sock.write(bytes.subarray(prev, c));
          prev = c;
          if (mode < 0.1) await new Promise((r) => setImmediate(r));
          else if (mode < 0.12) await new Promise((r) => setTimeout(r, 1));
        }
      };
      if (s.ending !== 'clean' && s.validFrames > 0 && rnd() < 0.5) {
        // Half the connections get their valid requests answered before the bad ending.
        stats.answeredFirst++;
        await write(s.bytes.subarray(0, s.validBytes));
        await new Promise<void>((r) => {
          onAnswer = () => {
            if (answered >= s.validFrames || done) r();
          };
          onAnswer();
        });
        onAnswer = null;
        if (answered < s.validFrames) stats.answeredFirstMissing++;
        if (done) return;
        await write(s.bytes.subarray(s.validBytes));
      } else {
        await write(s.bytes);
      }
      if (s.ending === 'clean') {
        if (s.validFrames === 0) {
          clientEnded = true;
          finish();
        }
        return; // closes once every response arrived
      }
      if (s.ending === 'truncated' || s.ending === 'garbage-body' || s.ending === 'garbage') {
        // The broker may close (invalid) or wait for more bytes (a partial frame): give it a moment, then leave.
        setTimeout(() => {
          clientEnded = true;
          finish();
        }, 5);
      }
      // invalid-size: wait for the broker to close the connection.
    });
  });
}

async function probe(port: number): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      stats.hangs++;
      sock.destroy();
      resolve();
    }, HANG_MS);
    sock.on('error', () => {});
    sock.on('connect', () => sock.write(request(18, 0, Buffer.alloc(0), 42)));
    const count = responseCounter();
    sock.on('data', (d) => {
      if (count(d) > 0) {
        clearTimeout(timer);
        sock.destroy();
        resolve();
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const ms = performance.now() - started;
  stats.probes++;
  stats.probeMaxMs = Math.max(stats.probeMaxMs, ms);
  return ms;
}

const broker = await spawnBroker({ overrides: { 'socket.request.max.bytes': String(MAX) } });
// The helper keeps the last 2 MB of the broker's log (a warning per closed connection): collect
// error lines as they appear instead of searching the tail at the end.
const errorLines = new Set<string>();
const collectErrors = () => {
  for (const l of broker.logs().split('\n')) if (l.includes('"level":"error"')) errorLines.add(l);
};
const collector = setInterval(collectErrors, 1000);
const { readFileSync } = await import('node:fs');
const hwm = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${broker.pid}/status`, 'utf8'));
  return m ? Number(m[1]) : -1;
};
const rssAtStart = hwm();
const started = performance.now();
let probing = true;
const probeLoop = (async () => {
  while (probing) {
    await probe(broker.port);
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
})();
let lastReport = 0;
const workers = Array.from({ length: CONCURRENCY }, async () => {
  while (stats.framesSent < TOTAL_FRAMES && broker.exitStatus() === null) {
    const s = script();
    stats.framesSent += s.validFrames + (s.ending === 'clean' ? 0 : 1);
    await runConnection(broker.port, s);
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      console.error(
        `  ${stats.framesSent} frames, ${stats.connections} connections, probe max ${stats.probeMaxMs.toFixed(0)} ms, hangs ${stats.hangs}, broker VmHWM ${(hwm() / 1024).toFixed(0)} MiB`,
      );
    }
  }
});
await Promise.all(workers);
probing = false;
await probeLoop;
const finalProbeMs = await probe(broker.port);
const crashed = broker.exitStatus() !== null;
const peakKb = crashed ? -1 : hwm();
clearInterval(collector);
collectErrors();
const unexpected = errorLines.size;
if (unexpected > 0) console.error([...errorLines].slice(0, 5).join('\n'));
const elapsedS = (performance.now() - started) / 1000;
await broker.cleanup();

const summary = {
  frames: stats.framesSent,
  connections: stats.connections,
  seconds: Number(elapsedS.toFixed(1)),
  crashes: crashed ? 1 : 0,
  hangs: stats.hangs,
  probes: stats.probes,
  probeMaxMs: Number(stats.probeMaxMs.toFixed(1)),
  finalProbeMs: Number(finalProbeMs.toFixed(1)),
  responses: stats.responses,
  closedByBroker: stats.brokerClosed,
  cleanConnectionsMissingResponses: stats.cleanWithMissingResponses,
  answeredBeforeBadEnding: stats.answeredFirst,
  answeredBeforeBadEndingMissing: stats.answeredFirstMissing,
  connectErrors: stats.connectErrors,
  brokerErrorLogLines: unexpected,
  brokerVmHWMMiBAtStart: Number((rssAtStart / 1024).toFixed(1)),
  brokerPeakRssMiB: Number((peakKb / 1024).toFixed(1)),
};
console.log(JSON.stringify(summary, null, 2));
process.exit(summary.crashes === 0 && summary.hangs === 0 && summary.brokerErrorLogLines === 0 ? 0 : 1);
