// sarama (Debian golang-github-shopify-sarama-dev 1.22) timestamp client for the compat tests.
// sarama writes record batches whose header maxTimestamp is -1; this produces `count` messages
// with explicit timestamps t0 + i seconds in one batch, then asks ListOffsets (sarama's GetOffset)
// for each of `lookups` (ms) and prints one JSON line with the offsets it got back.
// One JSON argument: {"bootstrap","topic","version","codec","count","t0","lookups":[ms...]}.
// Build (offline, GOPATH mode): GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off go build
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

type params struct {
	Bootstrap string  `json:"bootstrap"`
	Topic     string  `json:"topic"`
	Version   string  `json:"version"`
	Codec     string  `json:"codec"`
	Count     int     `json:"count"`
	T0        int64   `json:"t0"`
	Lookups   []int64 `json:"lookups"`
}

type result struct {
	Offsets []int64 `json:"offsets"`
	Found   []int64 `json:"found"`
	Error   string  `json:"error,omitempty"`
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func run(p params) (res result) {
	cfg := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(p.Version)
	if err != nil {
		res.Error = err.Error()
		return
	}
	cfg.Version = v
	cfg.ClientID = "compat-sarama-timestamps"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Compression = codecs[p.Codec]
	cfg.Producer.Retry.Max = 0
	cfg.Producer.Flush.Messages = p.Count // one request, one batch
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond
	cfg.Metadata.Retry.Max = 2

	client, err := sarama.NewClient([]string{p.Bootstrap}, cfg)
	if err != nil {
		res.Error = "client: " + err.Error()
		return
	}
	defer client.Close()
	producer, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		res.Error = "producer: " + err.Error()
		return
	}
	batch := make([]*sarama.ProducerMessage, p.Count)
	for i := range batch {
		ts := time.Unix(0, (p.T0+int64(i)*1000)*int64(time.Millisecond))
		batch[i] = &sarama.ProducerMessage{Topic: p.Topic, Partition: 0, Value: sarama.StringEncoder(fmt.Sprintf("ts-%d", i)), Timestamp: ts}
	}
	if err := producer.SendMessages(batch); err != nil {
		res.Error = "send: " + err.Error()
		producer.Close()
		return
	}
	for _, pm := range batch {
		res.Offsets = append(res.Offsets, pm.Offset)
	}
	producer.Close()
	for _, ms := range p.Lookups {
		off, err := client.GetOffset(p.Topic, 0, ms)
		if err != nil {
			res.Error = "GetOffset: " + err.Error()
			return
		}
		res.Found = append(res.Found, off)
	}
	return
}

func main() {
	var p params
	if err := json.Unmarshal([]byte(os.Args[1]), &p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out, _ := json.Marshal(run(p))
	fmt.Println(string(out))
}
