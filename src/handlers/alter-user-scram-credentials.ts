// AlterUserScramCredentials (51): upserts and deletes SCRAM credentials, validated as Kafka's
// ScramControlManager does (one change per user per request, known mechanism, 4096..16384
// iterations, deleting only what exists). The client sends salt + salted password; only the
// derived StoredKey/ServerKey are persisted (src/auth/scram-store.ts). Results: successful
// deletions, successful upsertions, then errors, one per user, as Kafka orders them.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type {
  AlterUserScramCredentialsResponse,
  AlterUserScramCredentialsResponseAlterUserScramCredentialsResult as Result,
} from '../../protocol/generated/alter-user-scram-credentials.js';
import { credentialFromSaltedPassword, scramMechanism, SCRAM_MAX_ITERATIONS, type ScramMechanismInfo } from '../auth/scram.js';
import type { ScramChange, ScramCredentialStore } from '../auth/scram-store.js';
import { defineHandler } from '../network/request-context.js';

type Problem = { code: number; message: string };
const DUPLICATE: Problem = { code: ErrorCode.DUPLICATE_RESOURCE, message: 'A user credential cannot be altered twice in the same request' };

function checkUserAndMechanism(name: string, mechanism: number): Problem | ScramMechanismInfo {
  if (name.length === 0) return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
  return scramMechanism(mechanism) ?? { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
}

export function alterUserScramCredentialsHandler(store: ScramCredentialStore) {
  return defineHandler(Api.AlterUserScramCredentials, {
    async handle(_ctx, req): Promise<AlterUserScramCredentialsResponse> {
      const errors = new Map<string, Problem>();
      const deletions = new Map<string, ScramChange>();
      const upserts = new Map<string, ScramChange>();
      for (const d of req.deletions) {
        if (errors.has(d.name)) continue;
        if (deletions.delete(d.name)) {
          errors.set(d.name, DUPLICATE);
          continue;
        }
        const m = checkUserAndMechanism(d.name, d.mechanism);
        if ('code' in m) errors.set(d.name, m);
        else if (!store.get(d.name, m.name)) {
          errors.set(d.name, { code: ErrorCode.RESOURCE_NOT_FOUND, message: 'Attempt to delete a user credential that does not exist' });
        } else deletions.set(d.name, { user: d.name, mechanism: m.name, credential: null });
      }
      for (const u of req.upsertions) {
        if (errors.has(u.name)) continue;
        if (deletions.delete(u.name) || upserts.delete(u.name)) {
          errors.set(u.name, DUPLICATE);
          continue;
        }
        const m = checkUserAndMechanism(u.name, u.mechanism);
        if ('code' in m) errors.set(u.name, m);
        else if (u.iterations < m.minIterations) errors.set(u.name, { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too few iterations' });
        else if (u.iterations > SCRAM_MAX_ITERATIONS) errors.set(u.name, { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Too many iterations' });
        else if (u.salt.length === 0 || u.saltedPassword.length === 0) {
          errors.set(u.name, { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Salt and salted password must not be empty' });
        } else {
          upserts.set(u.name, { user: u.name, mechanism: m.name, credential: credentialFromSaltedPassword(m, Buffer.from(u.salt), u.saltedPassword, u.iterations) });
        }
      }
      const changes = [...deletions.values(), ...upserts.values()];
      if (changes.length > 0) await store.apply(changes);
      const ok = (user: string): Result => ({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      return {
        throttleTimeMs: 0,
        results: [
          ...[...deletions.keys()].map(ok),
          ...[...upserts.keys()].map(ok),
          ...[...errors].map(([user, p]) => ({ user, errorCode: p.code, errorMessage: p.message })),
        ],
      };
    },
    errorResponse: (req, errorCode) => ({
      throttleTimeMs: 0,
      results: [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])].map((user) => ({ user, errorCode, errorMessage: null })),
    }),
  });
}
