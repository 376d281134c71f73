// Runs kafka-python (Debian's python3-kafka) as an independent oracle. Commands are batched into one
// interpreter run per call because starting Python and importing kafka costs ~0.3 s.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./kafka_python_oracle.py', import.meta.url));

export type B64 = string | null;

export interface PyRecord {
  offset: number;
  timestamp: number;
  timestamp_type: number;
  key: B64;
  value: B64;
  headers: [string, B64][];
}

export interface PyBatch {
  crc_ok: boolean;
  compression: number;
  magic: number;
  base_offset?: number;
  last_offset_delta?: number;
  first_timestamp?: number;
  max_timestamp?: number;
  timestamp_type: number | null;
  is_transactional?: boolean;
  is_control?: boolean;
  records: PyRecord[];
}

export type PyCommand =
  | { op: 'build_v2'; codec?: number; records: PyRecordIn[]; transactional?: boolean; producer_id?: number; producer_epoch?: number; base_sequence?: number }
  | { op: 'build_legacy'; magic: 0 | 1; codec?: number; records: PyRecordIn[] }
  | { op: 'parse'; data: B64 }
  | { op: 'encode' | 'decode'; codec: string; data: B64 };

export interface PyRecordIn {
  key: B64;
  value: B64;
  headers?: [string, B64][];
  timestamp?: number;
  offset?: number;
}

export type PyResult = { data?: B64; batches?: PyBatch[]; valid_bytes?: number; error?: string };

export function runPython(commands: PyCommand[]): PyResult[] {
  const out = execFileSync('/usr/bin/python3', [SCRIPT], {
    input: JSON.stringify(commands),
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return JSON.parse(out) as PyResult[];
}

export const b64 = (b: Buffer | null): B64 => (b === null ? null : b.toString('base64'));
export const unb64 = (s: B64 | undefined): Buffer | null => (s == null ? null : Buffer.from(s, 'base64'));
export function must(r: PyResult): PyResult {
  if (r.error) throw new Error(`kafka-python failed: ${r.error}`);
  return r;
}
