package main

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// groupConsume: two members of one group share a topic, each commits what it consumed, and the
// committed offsets and group description are read back through kadm. protocol "consumer" opts
// into KIP-848 (kgo.ServerSideBalancer: ConsumerGroupHeartbeat v1, broker-side assignment);
// "classic" is JoinGroup/SyncGroup with franz-go's default cooperative-sticky balancer.
func groupConsume(ctx context.Context, p params) (any, error) {
	if err := createTopic(ctx, p, p.Topic, p.Partitions); err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	prod, err := newClient(p, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		return nil, err
	}
	defer prod.Close()

	groupOpts := []kgo.Opt{kgo.ConsumerGroup(p.Group), kgo.ConsumeTopics(p.Topic), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.HeartbeatInterval(500 * time.Millisecond)}
	if p.Protocol == "consumer" {
		groupOpts = append(groupOpts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	}
	members := make([]*kgo.Client, 2)
	var amu sync.Mutex
	assigned := make([]map[int32]bool, len(members)) // each member's current partitions
	for i := range members {
		assigned[i] = map[int32]bool{}
		track := kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			amu.Lock()
			defer amu.Unlock()
			for _, part := range m[p.Topic] {
				assigned[i][part] = true
			}
		})
		untrack := func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			amu.Lock()
			defer amu.Unlock()
			for _, part := range m[p.Topic] {
				delete(assigned[i], part)
			}
		}
		opts := slices.Concat(groupOpts, []kgo.Opt{track, kgo.OnPartitionsRevoked(untrack), kgo.OnPartitionsLost(untrack)})
		if members[i], err = newClient(p, opts...); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, m := range members {
			m.Close()
		}
	}()

	// Produce only once the partitions are split between both members: the first one to join
	// briefly holds them all and could otherwise read everything before the second is assigned.
	for {
		amu.Lock()
		split := len(assigned[0]) > 0 && len(assigned[1]) > 0 && len(assigned[0])+len(assigned[1]) == int(p.Partitions)
		amu.Unlock()
		if split {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the two members were never both assigned: %w", ctx.Err())
		}
		for _, m := range members {
			pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			m.PollFetches(pctx) // nothing to read yet; polling drives the group (rebalance callbacks)
			cancel()
		}
	}
	var records []*kgo.Record
	for i := range p.Count {
		records = append(records, &kgo.Record{Topic: p.Topic, Partition: int32(i) % p.Partitions, Value: fmt.Appendf(nil, "g-%d", i)})
	}
	if err := prod.ProduceSync(ctx, records...).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce: %w", err)
	}

	// Both members poll until the group as a whole has seen every record once; each commits.
	var mu sync.Mutex
	seen := map[string]int{}
	perMember := make([]int, len(members))
	var wg sync.WaitGroup
	errs := make([]error, len(members))
	pollCtx, stop := context.WithCancel(ctx)
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pollCtx.Err() == nil {
				fs := m.PollFetches(pollCtx)
				fs.EachError(func(t string, part int32, e error) {
					if pollCtx.Err() == nil {
						errs[i] = fmt.Errorf("member %d fetch %s[%d]: %w", i, t, part, e)
					}
				})
				mu.Lock()
				fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++; perMember[i]++ })
				done := len(seen) >= p.Count
				mu.Unlock()
				if err := m.CommitUncommittedOffsets(ctx); err != nil && errs[i] == nil {
					errs[i] = fmt.Errorf("member %d commit: %w", i, err)
				}
				if done {
					stop()
				}
			}
		}()
	}
	wg.Wait()
	stop()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	if len(seen) < p.Count {
		return nil, fmt.Errorf("group saw %d of %d records", len(seen), p.Count)
	}

	adm := kadm.NewClient(prod)
	committed := map[int32]int64{}
	offs, err := adm.FetchOffsets(ctx, p.Group)
	if err != nil {
		return nil, fmt.Errorf("fetch offsets: %w", err)
	}
	offs.Each(func(o kadm.OffsetResponse) { committed[o.Partition] = o.At })

	var state string
	var memberCount int
	if p.Protocol == "consumer" {
		dg, err := adm.DescribeConsumerGroups(ctx, p.Group)
		if err != nil {
			return nil, fmt.Errorf("describe consumer groups: %w", err)
		}
		g := dg[p.Group]
		if g.Err != nil {
			return nil, fmt.Errorf("describe consumer group: %w", g.Err)
		}
		state, memberCount = g.State, len(g.Members)
	} else {
		dg, err := adm.DescribeGroups(ctx, p.Group)
		if err != nil {
			return nil, fmt.Errorf("describe groups: %w", err)
		}
		g := dg[p.Group]
		if g.Err != nil {
			return nil, fmt.Errorf("describe group: %w", g.Err)
		}
		state, memberCount = g.State, len(g.Members)
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	var groupType, protocolType string
	if lg, ok := listed[p.Group]; ok {
		groupType, protocolType = lg.GroupType, lg.ProtocolType
	}
	var dups []string
	for v, n := range seen {
		if n > 1 {
			dups = append(dups, v)
		}
	}
	sort.Strings(dups)
	return map[string]any{"distinct": len(seen), "perMember": perMember, "committed": committed,
		"state": state, "members": memberCount, "listedGroupType": groupType, "listedProtocolType": protocolType, "duplicates": dups}, nil
}
