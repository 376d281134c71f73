// Which internal-topic partition holds a group (__consumer_offsets) or a transactional id
// (__transaction_state): abs(groupId.hashCode()) % partitions, with
// Java's String.hashCode (over UTF-16 code units, int32 arithmetic) and Kafka's Utils.abs (which
// maps Integer.MIN_VALUE to 0), so a group lands on the same partition as in Kafka.

export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForGroup(groupId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}

/** Kafka's partitionFor(transactionalId): the same hash over __transaction_state. */
export function partitionForTxn(transactionalId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % numPartitions;
}
