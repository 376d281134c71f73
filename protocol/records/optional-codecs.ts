// The native compression libraries (zstd-napi, lz4-napi, snappy) are optional dependencies: their
// prebuilt binaries or install-time builds can fail on an unusual platform, and a broker that
// never sees zstd or lz4 must still start. Each one is loaded on first use; if it cannot load,
// every use of that codec fails with UNSUPPORTED_COMPRESSION_TYPE and a message naming the codec
// and the package, and the produce path refuses such batches up front (see validate.ts).
// Snappy has a pure-JS fallback (snappyjs, see snappy-codec.ts), so it never becomes unavailable.
import { createRequire } from 'node:module';
import { Compression } from './batch-header.js';
import { RecordsError } from './records-error.js';

const require = createRequire(import.meta.url);

/** Told once per codec when its package fails to load (the broker logs it). */
export type CodecLoadFailureListener = (codec: string, packageName: string, error: string) => void;
const failureListeners = new Set<CodecLoadFailureListener>();

/** Subscribe to codec load failures; returns an unsubscribe function. */
export function onCodecLoadFailure(listener: CodecLoadFailureListener): () => void {
  failureListeners.add(listener);
  return () => failureListeners.delete(listener);
}

type Loaded<T> = { ok: true; module: T } | { ok: false; error: string };

export interface OptionalCodec<T> {
  /** Codec name as Kafka's compression.type spells it. */
  readonly codec: string;
  /** The npm package providing it. */
  readonly packageName: string;
  /** Loads on first call; false (and `loadError`) when the package cannot load. */
  available(): boolean;
  /** Why it could not load, or null. */
  loadError(): string | null;
  /** The module, or a RecordsError UNSUPPORTED_COMPRESSION_TYPE naming the codec. */
  get(): T;
}

/** Lazily `require`s `packageName` (a CommonJS or napi package). */
export function optionalCodec<T>(codec: string, packageName: string, load: () => T = () => require(packageName) as T): OptionalCodec<T> {
  let state: Loaded<T> | null = null;
  const resolve = (): Loaded<T> => {
    if (state === null) {
      try {
        state = { ok: true, module: load() };
      } catch (err) {
        const error = (err as Error).message.split('\n')[0]!;
        state = { ok: false, error };
        for (const l of failureListeners) l(codec, packageName, error);
      }
    }
    return state;
  };
  return {
    codec,
    packageName,
    available: () => resolve().ok,
    loadError() {
      const s = resolve();
      return s.ok ? null : s.error;
    },
    get() {
      const s = resolve();
      if (s.ok) return s.module;
      throw new RecordsError('UNSUPPORTED_COMPRESSION_TYPE', unavailableMessage(codec, packageName, s.error));
    },
  };
}

export function unavailableMessage(codec: string, packageName: string, error: string): string {
  return `${codec} compression is not available on this broker: its optional dependency ${packageName} failed to load (${error})`;
}

type ZstdBinding = typeof import('zstd-napi/binding.js');
type ZstdSimple = typeof import('zstd-napi');
type Lz4 = typeof import('lz4-napi');

// zstd-napi is CommonJS; its low-level binding gives streaming decompression with our own limit
// (its high-level decompress() trusts the frame's content size and ignores truncated frames).
export const zstdCodec = optionalCodec<{ binding: ZstdBinding; simple: ZstdSimple }>('zstd', 'zstd-napi', () => ({
  binding: require('zstd-napi/binding') as ZstdBinding,
  simple: require('zstd-napi') as ZstdSimple,
}));

export const lz4Codec = optionalCodec<Lz4>('lz4', 'lz4-napi');

/**
 * Null when `codec` can be used, else the message a client gets with UNSUPPORTED_COMPRESSION_TYPE.
 * Loads the codec's package the first time a batch using it arrives.
 */
export function codecUnavailable(codec: Compression): string | null {
  const c = codec === Compression.Zstd ? zstdCodec : codec === Compression.Lz4 ? lz4Codec : null;
  if (c === null || c.available()) return null;
  return unavailableMessage(c.codec, c.packageName, c.loadError()!);
}
