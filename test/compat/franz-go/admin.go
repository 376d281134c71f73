package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// admin: kadm create (with configs; a duplicate), list, describe configs, list offsets (start,
// end, by time), delete, and list again.
func admin(ctx context.Context, p params) (any, error) {
	adm, cl, err := newAdmin(p)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := map[string]any{}
	configs := map[string]*string{}
	for k, v := range p.Configs {
		configs[k] = &v
	}
	created, err := adm.CreateTopics(ctx, p.Partitions, -1, configs, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	c := created[p.Topic]
	out["createErr"], out["createPartitions"] = errStr(c.Err), c.NumPartitions
	again, err := adm.CreateTopics(ctx, p.Partitions, -1, nil, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("create again: %w", err)
	}
	out["duplicateErr"] = errStr(again[p.Topic].Err)

	listed, err := adm.ListTopics(ctx, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	td := listed[p.Topic]
	out["listedPartitions"], out["listedErr"], out["hasTopicId"] = len(td.Partitions), errStr(td.Err), td.ID != kadm.TopicID{}

	rcs, err := adm.DescribeTopicConfigs(ctx, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("describe configs: %w", err)
	}
	described := map[string]map[string]any{}
	rc, err := rcs.On(p.Topic, nil)
	if err != nil {
		return nil, fmt.Errorf("describe configs %s: %w", p.Topic, err)
	}
	for _, cfg := range rc.Configs {
		described[cfg.Key] = map[string]any{"value": cfg.Value, "source": cfg.Source.String()}
	}
	out["configs"] = described

	prod, err := newClient(p, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic(p.Topic))
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	for i := range 5 {
		r := &kgo.Record{Partition: 0, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "a-%d", i), Timestamp: time.UnixMilli(p.Timestamp + int64(i)*100)}
		if err := prod.ProduceSync(ctx, r).FirstErr(); err != nil {
			return nil, fmt.Errorf("produce: %w", err)
		}
	}
	offsets := func(name string, lo kadm.ListedOffsets, err error) {
		if err != nil {
			out[name] = err.Error()
			return
		}
		m := map[int32]int64{}
		lo.Each(func(o kadm.ListedOffset) {
			if o.Err != nil {
				out[name] = o.Err.Error()
			}
			m[o.Partition] = o.Offset
		})
		if _, failed := out[name]; !failed {
			out[name] = m
		}
	}
	lo, err := adm.ListStartOffsets(ctx, p.Topic)
	offsets("start", lo, err)
	lo, err = adm.ListEndOffsets(ctx, p.Topic)
	offsets("end", lo, err)
	lo, err = adm.ListOffsetsAfterMilli(ctx, p.Timestamp+250, p.Topic)
	offsets("after250ms", lo, err)

	deleted, err := adm.DeleteTopics(ctx, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	out["deleteErr"] = errStr(deleted[p.Topic].Err)
	gone, err := adm.DeleteTopics(ctx, p.Topic)
	if err != nil {
		return nil, fmt.Errorf("delete again: %w", err)
	}
	out["deleteAgainErr"] = errStr(gone[p.Topic].Err)
	after, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list after delete: %w", err)
	}
	_, still := after[p.Topic]
	out["listedAfterDelete"] = still
	return out, nil
}
