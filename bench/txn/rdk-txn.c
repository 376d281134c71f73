/*
 * A librdkafka producer for bench/txn/txn-throughput.ts --rdkafka: the same workload as the raw
 * generator's scenarios, driven by a real client, so that the generator can be checked against
 * it (is the generator, not the broker, the limit?). Compiled by txn-throughput.ts with gcc against
 * Debian's librdkafka-dev. One process = one producer writing to one partition.
 *
 *   rdk-txn <bootstrap> <topic> <partition> plain|txn <records-per-txn> <seconds> <record-bytes> <transactional-id>
 *
 * plain: acks=all, idempotence off, as fast as librdkafka takes records (static payload, no copy).
 * txn:   init_transactions once, then begin / produce N records / commit_transaction, in a loop.
 * Records count once delivered (plain) or once their commit returned (txn), from 1 s after the
 * start (warm-up) for `seconds`. Prints one line of JSON: records, txns, seconds, cpu (client).
 */
#include <librdkafka/rdkafka.h>
#include "../rdkafka/rdk-common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long long delivered = 0, failed = 0;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && failed++ == 0) fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
  } else {
    delivered++;
  }
}

static void check(rd_kafka_error_t *e, const char *what) {
  if (!e) return;
  fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(e));
  exit(3);
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: rdk-txn <bootstrap> <topic> <partition> plain|txn <records-per-txn> <seconds> <record-bytes> <transactional-id>\n");
    return 2;
  }
  const char *bootstrap = argv[1], *topic = argv[2];
  int partition = atoi(argv[3]);
  int txn = strcmp(argv[4], "txn") == 0;
  int per_txn = atoi(argv[5]);
  double seconds = atof(argv[6]);
  size_t record_bytes = (size_t)atoll(argv[7]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "acks", "all");
  set(conf, "compression.type", "none");
  set(conf, "linger.ms", "5");
  if (txn) set(conf, "transactional.id", argv[8]);
  else set(conf, "enable.idempotence", "false");
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 2;
  }
  char *payload = malloc(record_bytes);
  memset(payload, 'a', record_bytes);
  if (txn) check(rd_kafka_init_transactions(rk, 30000), "init_transactions");

  double start = now_sec(), from = start + 1.0, until = from + seconds;
  long long counted = 0, txns = 0, at_from = -1;
  double cpu_from = 0;
  while (1) {
    double t = now_sec();
    if (at_from < 0 && t >= from) {
      at_from = txn ? counted : delivered;
      cpu_from = cpu_sec();
    }
    if (t >= until) break;
    if (txn) {
      check(rd_kafka_begin_transaction(rk), "begin_transaction");
      for (int i = 0; i < per_txn; i++) {
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_VALUE(payload, record_bytes), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
          rd_kafka_poll(rk, 1);
        if (e) {
          fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
          return 3;
        }
      }
      check(rd_kafka_commit_transaction(rk, 30000), "commit_transaction");
      counted += per_txn;
      if (at_from >= 0) txns++;
    } else {
      rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_VALUE(payload, record_bytes), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(rk, 1);
      else if (e) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
        return 3;
      } else rd_kafka_poll(rk, 0);
    }
  }
  long long records = (txn ? counted : delivered) - at_from;
  double cpu = cpu_sec() - cpu_from;
  double elapsed = now_sec() - from;
  long long failed_in_run = failed;
  printf("{\"records\":%lld,\"txns\":%lld,\"seconds\":%.3f,\"cpuSeconds\":%.3f,\"failed\":%lld}\n", records, txns, elapsed, cpu, failed_in_run);
  fflush(stdout);
  /* plain: what is still queued is dropped (its delivery reports say "purged", not a failure) */
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE);
  rd_kafka_flush(rk, 5000);
  rd_kafka_destroy(rk);
  free(payload);
  return failed_in_run > 0 ? 3 : 0;
}
