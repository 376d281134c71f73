package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

var codecs = map[string]kgo.CompressionCodec{
	"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
	"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
}

// sample is the deterministic record set the test re-creates to compare with: binary keys, a
// null key, headers, explicit timestamps and a value every codec shrinks.
func sample(i int, p params) *kgo.Record {
	r := &kgo.Record{
		Topic:     p.Topic,
		Partition: int32(i) % p.Partitions,
		Key:       []byte(fmt.Sprintf("\x00\xffkey-%d", i)),
		Value:     []byte(fmt.Sprintf("%s-value-%d-%s", p.Codec, i, repeat("the quick brown fox jumps over the lazy dog ", 8))),
		Headers:   []kgo.RecordHeader{{Key: "trace", Value: []byte{1, 2, 3, byte(i)}}},
		Timestamp: time.UnixMilli(p.Timestamp + int64(i)*10),
	}
	if i == 3 {
		r.Key = nil
	}
	return r
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// produceConsume: the idempotent producer (franz-go's default) with one codec, records spread
// over the partitions by a manual partitioner, then a direct (group-less) consumer per partition.
func produceConsume(ctx context.Context, p params) (any, error) {
	if err := createTopic(ctx, p, p.Topic, p.Partitions); err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	prod, err := newClient(p, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(codecs[p.Codec]),
		kgo.ProducerLinger(50*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	var records []*kgo.Record
	for i := range p.Count {
		records = append(records, sample(i, p))
	}
	var produced []record
	for _, r := range prod.ProduceSync(ctx, records...) {
		if r.Err != nil {
			return nil, fmt.Errorf("produce: %w", r.Err)
		}
		produced = append(produced, toRecord(r.Record))
	}

	offsets := map[int32]kgo.Offset{}
	for part := range p.Partitions {
		offsets[part] = kgo.NewOffset().AtStart()
	}
	cons, err := newClient(p, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.Topic: offsets}))
	if err != nil {
		return nil, err
	}
	defer cons.Close()
	consumed, err := pollUntil(ctx, cons, p.Count)
	return map[string]any{"produced": produced, "consumed": consumed}, err
}
