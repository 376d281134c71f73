package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// transactions: commit 5, abort 5, commit 3 on one partition with a transactional producer, then
// read the partition back read_committed and read_uncommitted, and list its end offset (the
// three control markers take offsets too).
func transactions(ctx context.Context, p params) (any, error) {
	if err := createTopic(ctx, p, p.Topic, 1); err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	prod, err := newClient(p, kgo.TransactionalID(p.Topic+"-txn"), kgo.DefaultProduceTopic(p.Topic))
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	steps := []struct {
		n      int
		tag    string
		commit kgo.TransactionEndTry
	}{{5, "c1", kgo.TryCommit}, {5, "a1", kgo.TryAbort}, {3, "c2", kgo.TryCommit}}
	for _, s := range steps {
		if err := prod.BeginTransaction(); err != nil {
			return nil, fmt.Errorf("begin %s: %w", s.tag, err)
		}
		for i := range s.n {
			if err := prod.ProduceSync(ctx, &kgo.Record{Value: fmt.Appendf(nil, "%s-%d", s.tag, i)}).FirstErr(); err != nil {
				return nil, fmt.Errorf("produce %s: %w", s.tag, err)
			}
		}
		if err := prod.EndTransaction(ctx, s.commit); err != nil {
			return nil, fmt.Errorf("end %s: %w", s.tag, err)
		}
	}

	read := func(level kgo.IsolationLevel, want int) ([]string, error) {
		cl, err := newClient(p, kgo.FetchIsolationLevel(level),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.Topic: {0: kgo.NewOffset().AtStart()}}))
		if err != nil {
			return nil, err
		}
		defer cl.Close()
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		recs, err := pollUntil(rctx, cl, want)
		var values []string
		for _, r := range recs {
			values = append(values, string(unhex(r.Value)))
		}
		return values, err
	}
	committed, err := read(kgo.ReadCommitted(), 8)
	if err != nil {
		return nil, fmt.Errorf("read_committed: %w", err)
	}
	uncommitted, err := read(kgo.ReadUncommitted(), 13)
	if err != nil {
		return nil, fmt.Errorf("read_uncommitted: %w", err)
	}
	ends, err := kadm.NewClient(prod).ListEndOffsets(ctx, p.Topic)
	if err != nil {
		return nil, err
	}
	end, _ := ends.Lookup(p.Topic, 0)
	return map[string]any{"committed": committed, "uncommitted": uncommitted, "endOffset": end.Offset}, nil
}

// transactSession: a GroupTransactSession consumes an input topic in a group and produces a
// transformed copy to an output topic, committing the group offsets inside the transaction.
func transactSession(ctx context.Context, p params) (any, error) {
	for _, t := range []string{p.Topic, p.Topic2} {
		if err := createTopic(ctx, p, t, 2); err != nil {
			return nil, fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	prod, err := newClient(p, kgo.DefaultProduceTopic(p.Topic))
	if err != nil {
		return nil, err
	}
	defer prod.Close()
	var in []*kgo.Record
	for i := range p.Count {
		in = append(in, &kgo.Record{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "in-%d", i)})
	}
	if err := prod.ProduceSync(ctx, in...).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce input: %w", err)
	}

	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(p.Bootstrap), kgo.TransactionalID(p.Group+"-etl"),
		kgo.ConsumerGroup(p.Group), kgo.ConsumeTopics(p.Topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.RequireStableFetchOffsets(), kgo.DefaultProduceTopic(p.Topic2),
		kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	moved := 0
	for moved < p.Count {
		fs := sess.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("session moved %d of %d: %w", moved, p.Count, ctx.Err())
		}
		if err := sess.Begin(); err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			sess.Produce(ctx, &kgo.Record{Key: r.Key, Value: append([]byte("out-"), r.Value...)}, nil)
		})
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil {
			return nil, fmt.Errorf("end: %w", err)
		}
		if committed {
			moved += n
		}
	}

	adm := kadm.NewClient(prod)
	offs, err := adm.FetchOffsets(ctx, p.Group)
	if err != nil {
		return nil, fmt.Errorf("fetch offsets: %w", err)
	}
	total := int64(0)
	offs.Each(func(o kadm.OffsetResponse) { total += o.At })

	cl, err := newClient(p, kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeTopics(p.Topic2),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out, err := pollUntil(ctx, cl, p.Count)
	var values []string
	for _, r := range out {
		values = append(values, string(unhex(r.Value)))
	}
	return map[string]any{"moved": moved, "committedTotal": total, "output": values}, err
}
