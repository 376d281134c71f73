/** Looks up the generated decode/encode functions for a schema entry (tests only). */
import type { MessageSchema } from '../../../protocol/generated/schema.js';
import type { Reader } from '../../../protocol/wire/reader.js';
import type { Writer } from '../../../protocol/wire/writer.js';

export interface MessageCodec {
  decode(r: Reader, v: number): Record<string, unknown>;
  encode(w: Writer, v: number, m: unknown): void;
}

export async function loadCodecs(schemas: readonly MessageSchema[]): Promise<Map<string, MessageCodec>> {
  const out = new Map<string, MessageCodec>();
  const modules = new Map<string, Record<string, unknown>>();
  for (const s of schemas) {
    let mod = modules.get(s.module);
    if (!mod) {
      mod = (await import(`../../../protocol/generated/${s.module}.ts`)) as Record<string, unknown>;
      modules.set(s.module, mod);
    }
    const decode = mod[`decode${s.name}`];
    const encode = mod[`encode${s.name}`];
    if (typeof decode !== 'function' || typeof encode !== 'function') {
      throw new Error(`${s.module} lacks decode/encode${s.name}`);
    }
    out.set(s.name, { decode: decode as MessageCodec['decode'], encode: encode as MessageCodec['encode'] });
  }
  return out;
}
