/*
 * Helpers shared by the librdkafka bench clients (bench/rdkafka/rdk-bench.c, bench/txn/rdk-txn.c):
 * monotonic wall time, the process's CPU time, and a config setter that exits on a bad key.
 */
#ifndef TRIBUTARY_RDK_COMMON_H
#define TRIBUTARY_RDK_COMMON_H
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/** User + system CPU seconds of this process so far. */
static double cpu_sec(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "config %s=%s: %s\n", k, v, err);
    exit(2);
  }
}
#endif
