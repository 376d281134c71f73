// KIP-950 (Kafka 3.9) rules for turning tiered storage off or read-only, checked on CreateTopics and
// on every alter of a topic, with Kafka's messages (LogConfig.validateTurningOffRemoteStorageWithDelete
// and validateRetentionConfigsWhenRemoteCopyDisabled):
//   - remote.storage.enable true -> false needs remote.log.delete.on.disable=true in the new set,
//     and then the topic's remote data is deleted (the read-only alternative is
//     remote.storage.enable=true + remote.log.copy.disable=true);
//   - with remote.log.copy.disable=true on a tiered topic, local.retention.ms/bytes must be -2 or
//     equal to retention.ms/bytes: nothing is copied any more, so local data is the only copy of
//     new segments and must follow the topic's full retention.
import type { BrokerConfig } from './broker-config.js';
import { resolveTopicConfig } from './topic-config.js';

/** The refusal (INVALID_CONFIG message) for the new override set `next` of a topic whose current set is `current`, or null. */
export function remoteStorageChangeError(broker: BrokerConfig, current: Readonly<Record<string, string>>, next: Readonly<Record<string, string>>): string | null {
  const before = resolveTopicConfig(broker, current);
  const after = resolveTopicConfig(broker, next);
  const wasEnabled = before.get('remote.storage.enable') === true;
  const enabled = after.get('remote.storage.enable') === true;
  if (wasEnabled && !enabled && after.get('remote.log.delete.on.disable') !== true) {
    return (
      'It is invalid to disable remote storage without deleting remote data. ' +
      'If you want to keep the remote data and turn to read only, please set `remote.storage.enable=true,remote.log.copy.disable=true`. ' +
      'If you want to disable remote storage and delete all remote data, please set `remote.storage.enable=false,remote.log.delete.on.disable=true`.'
    );
  }
  if (enabled && after.get('remote.log.copy.disable') === true) {
    const localBytes = after.get('local.retention.bytes');
    if (localBytes !== -2 && localBytes !== after.get('retention.bytes')) {
      return 'When `remote.log.copy.disable` is set to true, the `local.retention.bytes` and `retention.bytes` must be set to the identical value because there will be no more logs copied to the remote storage.';
    }
    const localMs = after.get('local.retention.ms');
    if (localMs !== -2 && localMs !== after.get('retention.ms')) {
      return 'When `remote.log.copy.disable` is set to true, the `local.retention.ms` and `retention.ms` must be set to the identical value because there will be no more logs copied to the remote storage.';
    }
  }
  return null;
}
