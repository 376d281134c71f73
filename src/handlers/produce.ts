// Produce: validate batch headers, assign offsets synchronously, answer once the bytes are in the
// OS (acks=1/-1) or not at all (acks=0). Uncompressed records are not decoded unless the topic or
// the batch header requires it (produce-records.ts); compressed batches are inflated within a bound
// and checked as Kafka does. Legacy (magic 0/1) message sets from Produce v0-2 clients are
// up-converted to a v2 batch first.
//
// v12 is transaction version 2 (KIP-890 part 2): a transactional batch adds its partition to the
// producer's transaction itself (produce-txn-v2.ts), no AddPartitionsToTxn needed. v13 (KIP-516)
// names topics by id: an id no topic has answers UNKNOWN_TOPIC_ID, and the answer carries ids.
import { ErrorCode } from '../../protocol/errors.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/generated/produce.js';
import type { BatchInfo } from '../../protocol/records/batch-header.js';
import { isLegacyMessageSet, upConvertMessageSet } from '../../protocol/records/legacy.js';
import { validateProduceRecords } from '../../protocol/records/validate.js';
import { appendClientRecords } from '../../storage/log/producer-state/append-with-state.js';
import type { Broker } from '../broker.js';
import { verifyTxnPartition } from '../coordinator/txn/txn-verify.js';
import { isBrokerOwnedTopic } from '../metadata/topic-name.js';
import { checkBatchRecords } from './produce-records.js';
import { addProducePartitionsToTxn, TXN_V2_PRODUCE_SINCE } from './produce-txn-v2.js';
import { applyTopicCompression } from './produce-compression.js';
import { produceInflateLimit } from '../../protocol/records/batch-records.js';
import { CLOSE_CONNECTION, NO_RESPONSE, type ApiHandler, type HandlerOutcome } from '../network/request-context.js';
import { AclOperation, ResourceType } from '../auth/acl/acl-model.js';
import { authorized } from '../auth/acl/request-authz.js';

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}

const TOPIC_IDS_SINCE = 13;

function response(topics: { name: string; topicId?: string; partitionResponses: PartitionResult[] }[]): ProduceResponse {
  return { responses: topics, throttleTimeMs: 0 } as unknown as ProduceResponse;
}

export function produceHandler(broker: Broker): ApiHandler<ProduceRequest> {
  return {
    apiKey: 0,
    minVersion: 0,
    maxVersion: 13,
    errorResponse(req, errorCode) {
      return response(req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)) })));
    },
    async handle(ctx, req): Promise<HandlerOutcome> {
      const version = ctx.header.apiVersion;
      const acks = req.acks;
      const pending: Promise<void>[] = [];
      let anyError = false;
      const names = req.topicData.map((t) => (version >= TOPIC_IDS_SINCE ? broker.topics.getById(t.topicId)?.name : t.name));
      const transactionalId = version >= 3 ? req.transactionalId : null;
      // As KafkaApis: a transactional producer needs WRITE on its transactional id, then WRITE on
      // each topic; refusals are per partition, and a refused topic is neither added to the
      // transaction nor appended.
      const txnRefused = transactionalId !== null && !authorized(broker, ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId);
      const refusals = names.map((name) =>
        txnRefused
          ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : name !== undefined && !authorized(broker, ctx, AclOperation.WRITE, ResourceType.TOPIC, name)
            ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : ErrorCode.NONE,
      );
      const allowed = req.topicData.filter((_, ti) => refusals[ti] === ErrorCode.NONE);
      const allowedNames = names.filter((_, ti) => refusals[ti] === ErrorCode.NONE);
      // Transaction version 2: the partitions join the transaction before anything is appended.
      const addErrors =
        version >= TXN_V2_PRODUCE_SINCE && transactionalId !== null && allowed.length > 0 ? await addProducePartitionsToTxn(broker, transactionalId, allowed, allowedNames, version) : null;
      const topics = req.topicData.map((t, ti) => {
        const name = names[ti];
        const refusal = refusals[ti]!;
        const partitionResponses = t.partitionData.map((p): PartitionResult => {
          if (refusal !== ErrorCode.NONE) {
            anyError = true;
            return failed(p.index, refusal);
          }
          const addError = name === undefined ? ErrorCode.NONE : (addErrors?.get(`${name}\u0000${p.index}`) ?? ErrorCode.NONE);
          const r =
            name === undefined
              ? failed(p.index, ErrorCode.UNKNOWN_TOPIC_ID)
              : addError !== ErrorCode.NONE
                ? failed(p.index, addError)
                : appendPartition(broker, version, acks, name, p.index, p.records, pending, transactionalId);
          if (r.errorCode !== ErrorCode.NONE) anyError = true;
          return r;
        });
        return version >= TOPIC_IDS_SINCE ? { name: '', topicId: t.topicId, partitionResponses } : { name: t.name, partitionResponses };
      });
      if (acks === 0) {
        // Kafka has no way to report an acks=0 failure except closing the connection.
        return anyError ? CLOSE_CONNECTION : NO_RESPONSE;
      }
      await Promise.all(pending);
      return response(topics);
    },
  };
}

function appendPartition(
  broker: Broker,
  version: number,
  acks: number,
  topic: string,
  index: number,
  records: Buffer | null,
  pending: Promise<void>[],
  transactionalId: string | null,
): PartitionResult {
  if (acks !== 0 && acks !== 1 && acks !== -1) return failed(index, ErrorCode.INVALID_REQUIRED_ACKS);
  const partition = broker.partition(topic, index);
  if (!partition) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // Clients may not write to internal topics; only the coordinators append there.
  if (isBrokerOwnedTopic(topic)) return failed(index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  const cfg = broker.topicConfig(topic);
  if (acks === -1 && (cfg.get('min.insync.replicas') as number) > partition.isr.length) {
    return failed(index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR ${partition.isr.length} is insufficient to satisfy the min.isr requirement`);
  }
  if (records === null || records.length === 0) {
    return failed(index, ErrorCode.INVALID_RECORD, `Produce requests with version ${version} must have at least one record batch per partition`);
  }
  const maxMessageBytes = cfg.get('max.message.bytes') as number;
  let data = records;
  if (isLegacyMessageSet(data)) {
    if (version >= 3) {
      return failed(index, ErrorCode.INVALID_RECORD, `Produce requests with version ${version} are only allowed to contain record batches with magic version 2`);
    }
    const converted = upConvertMessageSet(data, { now: Date.now(), maxDecompressedBytes: produceInflateLimit(maxMessageBytes) });
    if ('error' in converted) return failed(index, ErrorCode[converted.error as keyof typeof ErrorCode] ?? ErrorCode.CORRUPT_MESSAGE, converted.message);
    data = converted.records;
  }
  // v3+ carries exactly one batch per partition; older versions may carry several (up-converted).
  const checked = validateProduceRecords(data, { maxMessageBytes, allowZstd: version >= 7, maxBatches: version >= 3 ? 1 : Number.MAX_SAFE_INTEGER });
  if (!checked.ok) return failed(index, checked.errorCode, checked.message);
  let batches: BatchInfo[] = checked.batches;
  // Compressed batches, compacted topics, timestamp bounds and inconsistent headers need the
  // records (produce-records.ts); everything else stays on the header-only path.
  const bad = checkBatchRecords(data, batches, {
    maxMessageBytes,
    compacted: (cfg.get('cleanup.policy') as string[]).includes('compact'),
    logAppendTime: cfg.get('message.timestamp.type') === 'LogAppendTime',
    timestampBeforeMaxMs: cfg.get('message.timestamp.before.max.ms') as number,
    timestampAfterMaxMs: cfg.get('message.timestamp.after.max.ms') as number,
  }, topic, index, Date.now());
  if (bad !== null) {
    const r = failed(index, bad.errorCode, bad.errorMessage);
    r.recordErrors = bad.recordErrors;
    return r;
  }
  // compression.type other than 'producer': batches in another codec are rewritten into it.
  const stored = applyTopicCompression(cfg, data, batches, maxMessageBytes);
  if ('errorCode' in stored) return failed(index, stored.errorCode, stored.errorMessage);
  data = stored.data;
  batches = stored.batches;
  let result;
  try {
    // Idempotence and transactions: duplicates get their original offsets, sequence/epoch errors
    // are answered as Kafka does; a producer's first transactional write here is verified with the
    // transaction coordinator (KIP-890).
    const r = appendClientRecords(partition.log, data, batches, partition.leaderEpoch, {
      verifyTxn: (pid, epoch) => verifyTxnPartition(broker, transactionalId, pid, epoch, topic, index, version),
    });
    if (r.errorCode !== ErrorCode.NONE) return failed(index, r.errorCode, r.errorMessage);
    result = r.result!;
  } catch (err) {
    broker.logger.error('append failed', { topic, partition: index, error: (err as Error).message });
    return failed(index, ErrorCode.KAFKA_STORAGE_ERROR);
  }
  if (result.error) {
    const code = result.error === 'RECORD_BATCH_TOO_LARGE' ? ErrorCode.RECORD_LIST_TOO_LARGE : ErrorCode.KAFKA_STORAGE_ERROR;
    return failed(index, code);
  }
  const out: PartitionResult = {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: result.baseOffset,
    logAppendTimeMs: result.logAppendTime,
    logStartOffset: result.logStartOffset,
    recordErrors: [],
    errorMessage: null,
  };
  pending.push(
    result.written.catch((err: Error) => {
      broker.logger.error('write failed', { topic, partition: index, error: err.message });
      out.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
      out.baseOffset = -1;
    }),
  );
  return out;
}
