// The bench harness's histogram is the one `tributary bench` ships with.
export * from '../../src/metrics/latency-histogram.js';
