// Kafka's PartitionLeaderElectionAlgorithms: who leads a partition, given its assignment (in
// preference order), its ISR and the live brokers. Pure functions; the controller applies them.

/** A leader is lost: the first assigned replica that is alive and in the ISR; with unclean
 *  election enabled, else the first live assigned replica (which may have lost records). */
export function offlinePartitionLeader(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  uncleanEnabled: boolean,
): { leader: number; unclean: boolean } | undefined {
  const clean = assignment.find((id) => live.has(id) && isr.includes(id));
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (!uncleanEnabled) return undefined;
  const unclean = assignment.find((id) => live.has(id));
  return unclean === undefined ? undefined : { leader: unclean, unclean: true };
}

/** Preferred-leader election (ElectLeaders PREFERRED): the first assigned replica, if it can lead. */
export function preferredReplicaLeader(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>): number | undefined {
  const preferred = assignment[0];
  return preferred !== undefined && live.has(preferred) && isr.includes(preferred) ? preferred : undefined;
}

/** Controlled shutdown: a live ISR replica that is not itself shutting down. */
export function controlledShutdownLeader(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  shuttingDown: ReadonlySet<number>,
): number | undefined {
  return assignment.find((id) => live.has(id) && isr.includes(id) && !shuttingDown.has(id));
}
