/*
 * A full-speed librdkafka client for bench/rdkafka/run.ts: the workload a user benchmarking with a
 * real client runs (1 KiB records, one partition, ~1 MB Produce requests). Compiled by run.ts with
 * gcc against Debian's librdkafka-dev; prints one JSON object on stdout.
 *
 *   rdk-bench produce <bootstrap> <topic> <acks> <total-bytes> <record-bytes> <request-bytes>
 *   rdk-bench consume <bootstrap> <topic> <total-bytes> <fetch-bytes> [start-offset [follow]]
 *   rdk-bench latency <bootstrap> <topic> <acks> <msgs-per-sec> <seconds> <record-bytes> [e2e]
 *
 * produce: records as fast as librdkafka takes them (a static payload, no copy: the client
 * spends its CPU on the protocol, not on memcpy), one partition (0), no compression; counts
 * bytes whose delivery report succeeded. Time runs from the first produce call to the last
 * delivery report.
 * consume: the legacy (group-less) consumer from offset 0 of partition 0, so it needs only
 * Metadata and Fetch (the null sink answers nothing else); stops after total-bytes of record
 * values or at the end of the partition (with `follow` 1: it keeps waiting for more, for a consumer
 * that keeps up with a producer running beside it). Time runs from the first record to the last.
 * It also reports its lag: records between the high watermark of the last fetch response and the
 * record just consumed, the largest overall and per 250 ms (the tail workload's consumer lag).
 * latency: one record at a time on a fixed schedule (open loop: a late send does not delay the
 * next ones), linger.ms 0, and the time from each produce call to its delivery report (the
 * produce-ack latency issue 14's aim is about); prints p50 / p99 / p99.9 / max in ms.
 * With `e2e` 1, a consumer in the same process (legacy consumer of partition 0 from offset 0, so
 * the topic must be new; fetch.wait.max.ms 100, fetch.min.bytes 1) also reads every record, whose
 * first 8 bytes carry its index: e2e p50 / p99 / p99.9 / max is the time from the produce call to
 * the record reaching the consumer application (issue 14's end-to-end aim). Records are copied
 * into librdkafka then (RD_KAFKA_MSG_F_COPY), each with its own index.
 */
#include <librdkafka/rdkafka.h>
#include "rdk-common.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long long delivered_bytes = 0, delivered_msgs = 0, failed_msgs = 0;
static const char *first_error = NULL;
static double last_dr = 0;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    failed_msgs++;
    if (!first_error) first_error = strdup(rd_kafka_err2str(m->err));
  } else {
    delivered_msgs++;
    delivered_bytes += (long long)m->len;
  }
  last_dr = now_sec();
}

static int produce(const char *bootstrap, const char *topic, const char *acks, long long total, int record, const char *request) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "acks", acks);
  set(conf, "compression.codec", "none");
  set(conf, "linger.ms", "5");
  /* One MessageSet per partition per request, up to this size: ~1 MB requests. */
  set(conf, "batch.size", request);
  set(conf, "message.max.bytes", request);
  set(conf, "queue.buffering.max.kbytes", "262144");
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "enable.idempotence", "false");
  rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(record);
  for (int i = 0; i < record; i++) payload[i] = (char)('a' + i % 26);
  long long n = total / record;
  /* Metadata first, so connection setup is not in the window. */
  const struct rd_kafka_metadata *md;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "metadata failed\n");
    return 2;
  }
  rd_kafka_metadata_destroy(md);
  double cpu0 = cpu_sec();
  double t0 = now_sec();
  for (long long i = 0; i < n; i++) {
    while (rd_kafka_produce(rkt, 0, 0, payload, record, NULL, 0, NULL) == -1) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        return 2;
      }
      rd_kafka_poll(rk, 1);
    }
    if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 10);
  double secs = (last_dr > t0 ? last_dr : now_sec()) - t0;
  double cpu = cpu_sec() - cpu0;
  printf("{\"op\":\"produce\",\"acks\":\"%s\",\"records\":%lld,\"bytes\":%lld,\"failed\":%lld,\"seconds\":%.6f,\"mbPerSec\":%.3f,\"clientCpuSec\":%.3f,\"error\":%s%s%s}\n",
         acks, delivered_msgs, delivered_bytes, failed_msgs, secs, delivered_bytes / secs / 1e6, cpu,
         first_error ? "\"" : "", first_error ? first_error : "null", first_error ? "\"" : "");
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return failed_msgs ? 1 : 0;
}

static long long consumed_bytes = 0, consumed_msgs = 0, want_bytes = 0;
static double first_msg = 0, last_msg = 0;
static int eof = 0;
static const char *consume_error = NULL;
/* Consumer lag (records between the high watermark of the last fetch response and the record just
 * consumed), sampled every 256 records: the largest overall and per 250 ms since the first record. */
#define LAG_WINDOWS 480
static rd_kafka_t *lag_rk = NULL;
static const char *lag_topic = NULL;
static long long max_lag = 0, lag_window[LAG_WINDOWS];
static int lag_windows = 0;

static void sample_lag(const rd_kafka_message_t *m) {
  int64_t lo = 0, hi = 0;
  if (rd_kafka_get_watermark_offsets(lag_rk, lag_topic, 0, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  long long lag = (long long)hi - (long long)(m->offset + 1);
  if (lag < 0) lag = 0;
  if (lag > max_lag) max_lag = lag;
  int w = (int)((now_sec() - first_msg) / 0.25);
  if (w < 0 || w >= LAG_WINDOWS) return;
  while (lag_windows <= w) lag_window[lag_windows++] = 0;
  if (lag > lag_window[w]) lag_window[w] = lag;
}

static void consume_cb(rd_kafka_message_t *m, void *opaque) {
  (void)opaque;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    eof = 1;
    return;
  }
  if (m->err) {
    if (!consume_error) consume_error = strdup(rd_kafka_message_errstr(m));
    return;
  }
  if (consumed_msgs == 0) first_msg = now_sec();
  consumed_msgs++;
  consumed_bytes += (long long)m->len;
  last_msg = now_sec();
  if ((consumed_msgs & 255) == 1) sample_lag(m);
}

static int consume(const char *bootstrap, const char *topic, long long total, const char *fetch_bytes, long long start, int follow) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "enable.partition.eof", "true");
  set(conf, "fetch.message.max.bytes", fetch_bytes);
  set(conf, "fetch.max.bytes", fetch_bytes);
  set(conf, "receive.message.max.bytes", "104857600");
  set(conf, "queued.max.messages.kbytes", "262144");
  set(conf, "fetch.wait.max.ms", "100");
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  lag_rk = rk;
  lag_topic = topic;
  want_bytes = total;
  double cpu0 = cpu_sec();
  if (rd_kafka_consume_start(rkt, 0, start) == -1) {
    fprintf(stderr, "consume_start: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
    return 2;
  }
  double deadline = now_sec() + 120;
  while ((follow || !eof) && consumed_bytes < want_bytes && !consume_error && now_sec() < deadline) {
    rd_kafka_consume_callback(rkt, 0, 100, consume_cb, NULL);
    /* follow: the producer has finished once nothing has come for 2 s. */
    if (follow && consumed_msgs > 0 && now_sec() - last_msg > 2.0) break;
  }
  double secs = last_msg - first_msg;
  double cpu = cpu_sec() - cpu0;
  rd_kafka_consume_stop(rkt, 0);
  printf("{\"op\":\"consume\",\"records\":%lld,\"bytes\":%lld,\"seconds\":%.6f,\"mbPerSec\":%.3f,\"clientCpuSec\":%.3f,\"eof\":%s,\"maxLagRecords\":%lld,\"lagRecordsPer250ms\":[",
         consumed_msgs, consumed_bytes, secs, secs > 0 ? consumed_bytes / secs / 1e6 : 0.0, cpu, eof ? "true" : "false", max_lag);
  for (int i = 0; i < lag_windows; i++) printf("%s%lld", i ? "," : "", lag_window[i]);
  printf("],\"error\":%s%s%s}\n", consume_error ? "\"" : "", consume_error ? consume_error : "null", consume_error ? "\"" : "");
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return consume_error ? 1 : 0;
}


static double *sent_at = NULL, *lat_ms = NULL;
static long long lat_n = 0;

static void lat_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  double t = now_sec();
  if (m->err) {
    failed_msgs++;
    if (!first_error) first_error = strdup(rd_kafka_err2str(m->err));
    return;
  }
  long long i = (long long)(intptr_t)m->_private;
  lat_ms[lat_n++] = (t - sent_at[i]) * 1e3;
  delivered_msgs++;
  delivered_bytes += (long long)m->len;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  if (lat_n == 0) return 0;
  long long i = (long long)(p * (lat_n - 1) + 0.5);
  return lat_ms[i];
}

static double *e2e_ms = NULL;
static long long e2e_n = 0, e2e_cap = 0;
static const char *e2e_error = NULL;

static void e2e_cb(rd_kafka_message_t *m, void *opaque) {
  (void)opaque;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  if (m->err) {
    if (!e2e_error) e2e_error = strdup(rd_kafka_message_errstr(m));
    return;
  }
  double t = now_sec();
  long long i;
  if (m->len < sizeof i) return;
  memcpy(&i, m->payload, sizeof i);
  if (i < 0 || i >= e2e_cap || e2e_n >= e2e_cap) return;
  e2e_ms[e2e_n++] = (t - sent_at[i]) * 1e3;
}

static double pct_of(double *xs, long long n, double p) {
  if (n == 0) return 0;
  return xs[(long long)(p * (n - 1) + 0.5)];
}

static int latency(const char *bootstrap, const char *topic, const char *acks, double rate, double seconds, int record, int e2e) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "acks", acks);
  set(conf, "compression.codec", "none");
  set(conf, "linger.ms", "0");
  set(conf, "enable.idempotence", "false");
  set(conf, "queue.buffering.max.messages", "1000000");
  rd_kafka_conf_set_dr_msg_cb(conf, lat_dr_cb);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 2;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(record);
  for (int i = 0; i < record; i++) payload[i] = (char)('a' + i % 26);
  long long n = (long long)(rate * seconds);
  sent_at = calloc(n, sizeof(double));
  lat_ms = calloc(n, sizeof(double));
  const struct rd_kafka_metadata *md;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "metadata failed\n");
    return 2;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_t *ck = NULL;
  rd_kafka_topic_t *ckt = NULL;
  if (e2e) {
    rd_kafka_conf_t *cconf = rd_kafka_conf_new();
    set(cconf, "bootstrap.servers", bootstrap);
    set(cconf, "fetch.wait.max.ms", "100");
    set(cconf, "fetch.min.bytes", "1");
    set(cconf, "queued.max.messages.kbytes", "262144");
    ck = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof err);
    if (!ck) {
      fprintf(stderr, "rd_kafka_new (consumer): %s\n", err);
      return 2;
    }
    ckt = rd_kafka_topic_new(ck, topic, NULL);
    e2e_cap = n;
    e2e_ms = calloc(n, sizeof(double));
    if (rd_kafka_consume_start(ckt, 0, 0) == -1) {
      fprintf(stderr, "consume_start: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      return 2;
    }
  }
  double cpu0 = cpu_sec();
  double t0 = now_sec();
  /* Every ~100 us: send what is due (sleeping, not spinning: the broker shares these 2 vCPUs). */
  long long i = 0;
  while (i < n) {
    double t = now_sec();
    for (; i < n && t0 + i / rate <= t; i++) {
      sent_at[i] = t;
      if (e2e) memcpy(payload, &i, sizeof i);
      if (rd_kafka_produce(rkt, 0, e2e ? RD_KAFKA_MSG_F_COPY : 0, payload, record, NULL, 0, (void *)(intptr_t)i) == -1) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        return 2;
      }
    }
    rd_kafka_poll(rk, 0);
    if (e2e) rd_kafka_consume_callback(ckt, 0, 0, e2e_cb, NULL);
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  while (rd_kafka_outq_len(rk) > 0) {
    rd_kafka_poll(rk, 1);
    if (e2e) rd_kafka_consume_callback(ckt, 0, 0, e2e_cb, NULL);
  }
  double secs = now_sec() - t0;
  if (e2e) {
    /* The last records: up to 5 s more for them to reach the consumer. */
    double until = now_sec() + 5;
    while (e2e_n < delivered_msgs && !e2e_error && now_sec() < until) rd_kafka_consume_callback(ckt, 0, 10, e2e_cb, NULL);
    rd_kafka_consume_stop(ckt, 0);
  }
  double cpu = cpu_sec() - cpu0;
  qsort(lat_ms, lat_n, sizeof(double), cmp_double);
  if (e2e) qsort(e2e_ms, e2e_n, sizeof(double), cmp_double);
  char e2e_json[256] = "";
  if (e2e)
    snprintf(e2e_json, sizeof e2e_json, "\"e2eRecords\":%lld,\"e2eP50Ms\":%.3f,\"e2eP99Ms\":%.3f,\"e2eP999Ms\":%.3f,\"e2eMaxMs\":%.3f,", e2e_n,
             pct_of(e2e_ms, e2e_n, 0.5), pct_of(e2e_ms, e2e_n, 0.99), pct_of(e2e_ms, e2e_n, 0.999), e2e_n ? e2e_ms[e2e_n - 1] : 0.0);
  const char *error = first_error ? first_error : e2e_error ? e2e_error : (e2e && e2e_n < delivered_msgs) ? "the consumer did not receive every record" : NULL;
  printf("{\"op\":\"latency\",\"acks\":\"%s\",\"records\":%lld,\"bytes\":%lld,\"failed\":%lld,\"seconds\":%.6f,\"mbPerSec\":%.3f,\"clientCpuSec\":%.3f,"
         "\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f,\"maxMs\":%.3f,%s\"error\":%s%s%s}\n",
         acks, delivered_msgs, delivered_bytes, failed_msgs, secs, delivered_bytes / secs / 1e6, cpu, pct(0.5), pct(0.99), pct(0.999),
         lat_n ? lat_ms[lat_n - 1] : 0.0, e2e_json, error ? "\"" : "", error ? error : "null", error ? "\"" : "");
  if (e2e) {
    rd_kafka_topic_destroy(ckt);
    rd_kafka_destroy(ck);
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return failed_msgs ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 8 && strcmp(argv[1], "produce") == 0) return produce(argv[2], argv[3], argv[4], atoll(argv[5]), atoi(argv[6]), argv[7]);
  if (argc >= 6 && argc <= 8 && strcmp(argv[1], "consume") == 0)
    return consume(argv[2], argv[3], atoll(argv[4]), argv[5], argc >= 7 ? atoll(argv[6]) : 0, argc == 8 && atoi(argv[7]) == 1);
  if ((argc == 8 || argc == 9) && strcmp(argv[1], "latency") == 0)
    return latency(argv[2], argv[3], argv[4], atof(argv[5]), atof(argv[6]), atoi(argv[7]), argc == 9 && atoi(argv[8]) == 1);
  fprintf(stderr, "usage: rdk-bench produce <bootstrap> <topic> <acks> <total-bytes> <record-bytes> <request-bytes>\n"
                  "       rdk-bench consume <bootstrap> <topic> <total-bytes> <fetch-bytes> [start-offset [follow]]\n"
                  "       rdk-bench latency <bootstrap> <topic> <acks> <msgs-per-sec> <seconds> <record-bytes> [e2e]\n");
  return 2;
}
