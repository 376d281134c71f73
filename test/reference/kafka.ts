// Starts the reference Apache Kafka cluster from the command line (for benchmarks and by hand):
//   npx tsx test/reference/kafka.ts [--nodes 3] [--heap-mb 512]   # prints the bootstrap, runs until Ctrl-C
//   npx tsx test/reference/kafka.ts --measure [--nodes 3]         # prints start time and RSS as JSON, then stops
import { startKafkaReference } from '../helpers/kafka-reference.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const nodes = flag('--nodes', 1);
const heapMb = flag('--heap-mb', 512);
const kafka = await startKafkaReference({ nodes, heapMb });
const rss = await Promise.all(kafka.nodes.map((n) => n.rssBytes()));
const report = {
  version: kafka.version,
  nodes,
  bootstrap: kafka.bootstrap,
  startMs: Math.round(kafka.startMs),
  rssMb: rss.map((b) => Math.round(b / 2 ** 20)),
};
console.log(JSON.stringify(report));
if (process.argv.includes('--measure')) {
  await kafka.stop();
} else {
  const done = () => void kafka.stop().then(() => process.exit(0));
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
}
