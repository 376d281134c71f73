// DescribeUserScramCredentials (50): mechanisms and iteration counts of stored SCRAM credentials
// (never salts or keys). Null or empty `users` lists everyone; a named user without credentials is
// RESOURCE_NOT_FOUND and a user named twice DUPLICATE_RESOURCE, with Kafka's messages.
import { ErrorCode } from '../../protocol/errors.js';
import { Api } from '../../protocol/generated/apis.js';
import type {
  DescribeUserScramCredentialsResponse,
  DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult as Result,
} from '../../protocol/generated/describe-user-scram-credentials.js';
import { scramMechanism } from '../auth/scram.js';
import type { ScramCredentialStore } from '../auth/scram-store.js';
import { defineHandler } from '../network/request-context.js';

export function describeUserScramCredentialsHandler(store: ScramCredentialStore) {
  return defineHandler(Api.DescribeUserScramCredentials, {
    handle(_ctx, req): DescribeUserScramCredentialsResponse {
      const all = store.users();
      const infos = (user: string) =>
        (all.get(user) ?? [])
          .map((c) => ({ mechanism: scramMechanism(c.mechanism)!.type, iterations: c.iterations }))
          .sort((a, b) => a.mechanism - b.mechanism);
      const results: Result[] = [];
      if (req.users === null || req.users.length === 0) {
        for (const user of [...all.keys()].sort()) results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) });
      } else {
        const counts = new Map<string, number>();
        for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
        for (const [user, n] of counts) {
          if (n > 1) {
            results.push({
              user,
              errorCode: ErrorCode.DUPLICATE_RESOURCE,
              errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
              credentialInfos: [],
            });
          } else if (!all.has(user)) {
            results.push({
              user,
              errorCode: ErrorCode.RESOURCE_NOT_FOUND,
              errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
              credentialInfos: [],
            });
          } else {
            results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) });
          }
        }
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
    },
    errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, results: [] }),
  });
}
