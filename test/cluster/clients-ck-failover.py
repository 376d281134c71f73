# confluent-kafka-python (librdkafka) across a leader change, for clients-leader-change.test.ts.
# One JSON argument: {"bootstrap","topic","count","pauseMs","idempotent"}. Produces `count`
# records one at a time to partition 0 with acks=all, printing {"acked","offset"} per delivery
# report without error and {"failed"} otherwise as they happen (the test kills the leader
# meanwhile); then reads partition 0 from the beginning until every acknowledged value is seen
# (or 30 s) and prints {"done","consumed":[{offset,value}]}.
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

p = json.loads(sys.argv[1])


def emit(obj):
    print(json.dumps(obj), flush=True)


acked = set()


def on_delivery(err, msg):
    value = msg.value().decode()
    if err is None:
        acked.add(value)
        emit({"acked": value, "offset": msg.offset()})
    else:
        emit({"failed": value, "error": str(err)})


producer = Producer({
    "bootstrap.servers": p["bootstrap"],
    "client.id": "ck-failover",
    "acks": "all",
    "enable.idempotence": bool(p.get("idempotent")),
    "message.timeout.ms": 30000,
    "retry.backoff.ms": 100,
    "topic.metadata.refresh.interval.ms": 1000,
})
for i in range(p["count"]):
    producer.produce(p["topic"], value=f"ck-{i}".encode(), partition=0, on_delivery=on_delivery)
    producer.flush(40)
    time.sleep(p["pauseMs"] / 1000)
producer.flush(40)

consumer = Consumer({
    "bootstrap.servers": p["bootstrap"],
    "group.id": f"ck-failover-{time.time()}",
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
})
consumer.assign([TopicPartition(p["topic"], 0, OFFSET_BEGINNING)])
out = []
seen = set()
deadline = time.time() + 30
while time.time() < deadline and not acked <= seen:
    m = consumer.poll(0.5)
    if m is None or m.error():
        continue
    out.append({"offset": m.offset(), "value": m.value().decode()})
    seen.add(m.value().decode())
consumer.close()
emit({"done": True, "consumed": out})
