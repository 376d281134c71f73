import { describe, expect, it } from 'vitest';
import { ErrorCode, errorMessage, errorName } from '../../../protocol/errors.js';

describe('error codes', () => {
  it('match error-codes.tsv names and numbers', () => {
    expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
    expect(ErrorCode.NONE).toBe(0);
    expect(ErrorCode.OFFSET_OUT_OF_RANGE).toBe(1);
    expect(ErrorCode.NOT_LEADER_OR_FOLLOWER).toBe(6);
    expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
    expect(ErrorCode.KAFKA_STORAGE_ERROR).toBe(56);
    expect(Object.keys(ErrorCode).length).toBeGreaterThan(120);
  });

  it('maps codes back to names and messages', () => {
    expect(errorName(6)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(errorName(9999)).toBe('UNKNOWN_ERROR_CODE_9999');
    expect(errorMessage(7)).toBe('The request timed out.');
    expect(errorMessage(9999)).toBe('');
  });
});
