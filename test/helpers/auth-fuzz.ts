// Hostile input against the authentication path, shared by the suite's short run
// (test/integration/auth-fuzz.test.ts) and the long script (bench/security/auth-fuzz.ts).
//
// Each fuzz connection writes a burst of frames in one go, then waits for the broker to close it
// (or closes it itself after a successful login, when the burst was garbage after
// authentication). Kinds of bursts:
//   garbage        random bytes, random or huge size prefixes
//   early          Metadata / Produce before authenticating
//   handshake      ApiVersions + SaslHandshake with mutated mechanism names, v0 and v1
//   scram          SaslHandshake + SaslAuthenticate with mutated SCRAM client-first / client-final
//   raw-scram      v0 handshake, then mutated raw SCRAM tokens
//   after-auth     a correct PLAIN login, then garbage frames
//   tls            truncated or garbage TLS handshakes on the TLS listener
// A connection the broker neither answers nor closes within `hangMs` counts as a hang.
import net from 'node:net';
import { rng } from '../protocol/records/random-data.js';
import { encodeRequestFrame } from './raw-client.js';

export interface FuzzTarget {
  saslPort: number;
  tlsPort: number;
  plainUser: string;
  plainPassword: string;
  scramUser: string;
}

export interface FuzzStats {
  frames: number;
  connections: number;
  hangs: number;
  byKind: Record<string, number>;
}

export function encodeRequest(apiKey: number, version: number, body: object, correlationId = 1): Buffer {
  return encodeRequestFrame(apiKey, version, body, correlationId, 'fuzz');
}

/**
 * Zero-size frames once crashed the broker (FrameDecoder.consume(0) on an empty buffer; this
 * fuzzer found it, the fix came with main's framing work): on by default, --no-zero-size-frames
 * in the script turns them off.
 */
let zeroSizeFrames = true;

const sized = (payload: Buffer) => {
  if (payload.length === 0 && !zeroSizeFrames) payload = Buffer.from([0]);
  const b = Buffer.allocUnsafe(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
};

function mutate(r: () => number, input: Buffer): Buffer {
  const b = Buffer.from(input);
  switch (Math.floor(r() * 6)) {
    case 0: // flip bytes
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n && b.length > 0; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
      return b;
    case 1: // truncate
      return b.subarray(0, Math.floor(r() * b.length));
    case 2: // insert random bytes
      return Buffer.concat([b.subarray(0, Math.floor(r() * b.length)), randomBytes(r, 1 + Math.floor(r() * 32)), b]);
    case 3: // repeat a slice
      return Buffer.concat([b, b.subarray(Math.floor(r() * b.length))]);
    case 4: // random printable text of a similar length
      return Buffer.from(Array.from({ length: b.length }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join(''));
    default: // separators and attribute names in odd places
      return Buffer.from(b.toString('latin1').replace(/,/g, () => [',', ',,', '=', ',r=', ',p=', ''][Math.floor(r() * 6)]!), 'latin1');
  }
}

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

const clientFirst = (user: string, nonce: string) => Buffer.from(`n,,n=${user},r=${nonce}`);
const clientFinal = (nonce: string) => Buffer.from(`c=biws,r=${nonce}xyz,p=${Buffer.alloc(32, 7).toString('base64')}`);

type Kind = 'garbage' | 'early' | 'handshake' | 'scram' | 'raw-scram' | 'after-auth' | 'tls';
const KINDS: Kind[] = ['garbage', 'early', 'handshake', 'scram', 'raw-scram', 'after-auth', 'tls'];


/** The frames of one burst (TLS bursts are raw bytes, counted as one frame each). */
function burst(kind: Kind, r: () => number, t: FuzzTarget): Buffer[] {
  const n = 4 + Math.floor(r() * 28);
  const frames: Buffer[] = [];
  const nonce = randomBytes(r, 12).toString('base64');
  switch (kind) {
    case 'garbage':
      for (let i = 0; i < n; i++) {
        const roll = r();
        if (roll < 0.1) frames.push(Buffer.from([0x7f, 0xff, 0xff, 0xff])); // 2 GiB announced
        else if (roll < 0.2 && zeroSizeFrames) frames.push(Buffer.from([0, 0, 0, 0])); // zero-size frame
        else frames.push(sized(randomBytes(r, Math.floor(r() * 64))));
      }
      break;
    case 'early':
      frames.push(encodeRequest(18, 3, { clientSoftwareName: 'f', clientSoftwareVersion: '1' }));
      frames.push(r() < 0.5 ? encodeRequest(3, 1, { topics: null }, 2) : encodeRequest(0, 3, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [] }, 2));
      break;
    case 'handshake':
      for (let i = 0; i < n; i++) {
        const mechanism = mutate(r, Buffer.from(r() < 0.5 ? 'SCRAM-SHA-512' : 'PLAIN')).toString('latin1');
        frames.push(encodeRequest(17, r() < 0.5 ? 0 : 1, { mechanism }, i + 1));
      }
      break;
    case 'scram':
      frames.push(encodeRequest(17, 1, { mechanism: r() < 0.5 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512' }));
      for (let i = 0; i < n; i++) {
        const token = i % 2 === 0 ? mutate(r, clientFirst(r() < 0.7 ? t.scramUser : 'nobody', nonce)) : mutate(r, clientFinal(nonce));
        frames.push(encodeRequest(36, 2, { authBytes: token }, i + 2));
      }
      break;
    case 'raw-scram':
      frames.push(encodeRequest(17, 0, { mechanism: 'SCRAM-SHA-256' }));
      for (let i = 0; i < n; i++) frames.push(sized(mutate(r, i === 0 ? clientFirst(t.scramUser, nonce) : clientFinal(nonce))));
      break;
    case 'after-auth':
      frames.push(encodeRequest(17, 1, { mechanism: 'PLAIN' }));
      frames.push(encodeRequest(36, 2, { authBytes: Buffer.from(`\0${t.plainUser}\0${t.plainPassword}`) }, 2));
      for (let i = 0; i < n; i++) frames.push(r() < 0.5 ? sized(randomBytes(r, Math.floor(r() * 48))) : mutate(r, encodeRequest(3, 1, { topics: null }, i + 3)));
      break;
    case 'tls': {
      // A TLS record header (handshake, TLS 1.0-1.3 versions) with a random or truncated body.
      for (let i = 0; i < Math.min(n, 4); i++) {
        const body = randomBytes(r, Math.floor(r() * 200));
        const header = Buffer.from([0x16, 0x03, Math.floor(r() * 4), (body.length >> 8) & 0xff, body.length & 0xff]);
        frames.push(Buffer.concat([header, body]).subarray(0, 1 + Math.floor(r() * (body.length + 5))));
      }
      break;
    }
  }
  return frames;
}

/** One fuzz connection: write the burst, wait for the broker to close or for `hangMs`. */
function runConnection(kind: Kind, r: () => number, t: FuzzTarget, hangMs: number): Promise<{ frames: number; hang: boolean }> {
  const frames = burst(kind, r, t);
  return new Promise((resolve) => {
    const s = net.connect(kind === 'tls' ? t.tlsPort : t.saslPort, '127.0.0.1');
    let done = false;
    const finish = (hang: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ frames: frames.length, hang });
    };
    // A TLS burst that stops mid-handshake is closed by the handshake deadline; every other burst
    // contains a violation the broker must act on at once, except a valid login followed by
    // frames it may still be parsing: those close themselves after a short wait.
    const timer = setTimeout(() => finish(kind !== 'after-auth'), kind === 'after-auth' ? Math.min(hangMs, 500) : hangMs);
    s.on('error', () => finish(false));
    s.on('close', () => finish(false));
    s.on('data', () => {});
    s.on('connect', () => {
      // Some bursts stop halfway (a truncated handshake): the broker must still close it.
      for (const f of frames) s.write(f);
    });
  });
}

/** Runs fuzz connections until `frames` frames were sent, `concurrency` at a time. */
export async function fuzzAuthPath(
  t: FuzzTarget,
  opts: { frames: number; seed: number; concurrency: number; hangMs: number; zeroSizeFrames?: boolean; onProgress?: (s: FuzzStats) => void },
): Promise<FuzzStats> {
  zeroSizeFrames = opts.zeroSizeFrames ?? true;
  const r = rng(opts.seed);
  const stats: FuzzStats = { frames: 0, connections: 0, hangs: 0, byKind: {} };
  let lastReport = 0;
  const worker = async () => {
    while (stats.frames < opts.frames) {
      const kind = KINDS[Math.floor(r() * KINDS.length)]!;
      const res = await runConnection(kind, r, t, opts.hangMs);
      stats.frames += res.frames;
      stats.connections++;
      if (res.hang) stats.hangs++;
      stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
      if (opts.onProgress && stats.frames - lastReport >= 50_000) {
        lastReport = stats.frames;
        opts.onProgress(stats);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return stats;
}
