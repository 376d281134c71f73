// franz-go compat client: one JSON argument {"bootstrap", "op", ...}, one JSON result line on
// stdout. The vitest side (test/compat/franz-go.test.ts) makes the assertions; this program only
// drives the client and reports what it saw, so a failure shows the broker's view in the test.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type params struct {
	Bootstrap  string            `json:"bootstrap"`
	Op         string            `json:"op"`
	Topic      string            `json:"topic"`
	Topic2     string            `json:"topic2"`
	Group      string            `json:"group"`
	Codec      string            `json:"codec"`
	Partitions int32             `json:"partitions"`
	Count      int               `json:"count"`
	Protocol   string            `json:"protocol"` // "classic" or "consumer" (KIP-848)
	Configs    map[string]string `json:"configs"`
	Timestamp  int64             `json:"timestamp"`
}

// record is how records travel back to the test: bytes as hex, null stays null.
type record struct {
	Partition  int32       `json:"partition"`
	Offset     int64       `json:"offset"`
	Key        *string     `json:"key"`
	Value      *string     `json:"value"`
	Headers    [][2]string `json:"headers"`
	Timestamp  int64       `json:"timestamp"`
	ProducerID int64       `json:"producerId"`
	Epoch      int16       `json:"epoch"`
}

func hexOrNil(b []byte) *string {
	if b == nil {
		return nil
	}
	s := hex.EncodeToString(b)
	return &s
}

func toRecord(r *kgo.Record) record {
	out := record{Partition: r.Partition, Offset: r.Offset, Key: hexOrNil(r.Key), Value: hexOrNil(r.Value),
		Timestamp: r.Timestamp.UnixMilli(), ProducerID: r.ProducerID, Epoch: r.ProducerEpoch, Headers: [][2]string{}}
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, [2]string{h.Key, hex.EncodeToString(h.Value)})
	}
	return out
}

func errStr(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

func main() {
	var p params
	if len(os.Args) < 2 || json.Unmarshal([]byte(os.Args[1]), &p) != nil {
		fmt.Fprintln(os.Stderr, "usage: franz-go-compat '{\"bootstrap\":...,\"op\":...}'")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	ops := map[string]func(context.Context, params) (any, error){
		"produce-consume": produceConsume,
		"group":           groupConsume,
		"txn":             transactions,
		"txn-session":     transactSession,
		"admin":           admin,
	}
	fn, ok := ops[p.Op]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown op", p.Op)
		os.Exit(2)
	}
	res, err := fn(ctx, p)
	out := map[string]any{"op": p.Op, "result": res}
	if err != nil {
		out["error"] = err.Error()
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

func newClient(p params, opts ...kgo.Opt) (*kgo.Client, error) {
	base := []kgo.Opt{kgo.SeedBrokers(p.Bootstrap), kgo.FetchMaxWait(200 * time.Millisecond)}
	if os.Getenv("FRANZ_DEBUG") != "" {
		base = append(base, kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelDebug, nil)))
	}
	return kgo.NewClient(append(base, opts...)...)
}

func newAdmin(p params) (*kadm.Client, *kgo.Client, error) {
	cl, err := newClient(p)
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

func createTopic(ctx context.Context, p params, topic string, partitions int32) error {
	adm, cl, err := newAdmin(p)
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := adm.CreateTopic(ctx, partitions, -1, nil, topic)
	if err != nil {
		return err
	}
	return resp.Err
}

// pollUntil polls until `want` records arrived or the context ends; fetch errors are returned.
func pollUntil(ctx context.Context, cl *kgo.Client, want int) ([]record, error) {
	var got []record
	for len(got) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return got, fmt.Errorf("timed out with %d of %d records: %w", len(got), want, ctx.Err())
		}
		var ferr error
		fs.EachError(func(t string, part int32, err error) { ferr = fmt.Errorf("fetch %s[%d]: %w", t, part, err) })
		if ferr != nil {
			return got, ferr
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, toRecord(r)) })
	}
	return got, nil
}

func unhex(s *string) []byte {
	if s == nil {
		return nil
	}
	b, _ := hex.DecodeString(*s)
	return b
}
