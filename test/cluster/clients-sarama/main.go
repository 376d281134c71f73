// sarama (Debian golang-github-shopify-sarama-dev) across a leader change, for
// clients-leader-change.test.ts. One JSON argument: {"bootstrap","topic","count","pauseMs"}.
// Produces `count` records one at a time to partition 0 with acks=all (SyncProducer, retries),
// printing {"acked","offset"} per acknowledged record and {"failed"} per failed send as they
// happen (the test kills the leader meanwhile); then reads partition 0 from the oldest offset
// until every acknowledged value is seen (or 30 s) and prints {"done","consumed":[{offset,value}]}.
// Build (offline, GOPATH mode): GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off go build
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

type params struct {
	Bootstrap string `json:"bootstrap"`
	Topic     string `json:"topic"`
	Count     int    `json:"count"`
	PauseMs   int    `json:"pauseMs"`
}

type consumed struct {
	Offset int64  `json:"offset"`
	Value  string `json:"value"`
}

func emit(v interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func main() {
	var p params
	if err := json.Unmarshal([]byte(os.Args[1]), &p); err != nil {
		emit(map[string]string{"fatal": err.Error()})
		os.Exit(2)
	}
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_0_0_0
	cfg.ClientID = "sarama-failover"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Retry.Max = 50
	cfg.Producer.Retry.Backoff = 200 * time.Millisecond
	cfg.Producer.Timeout = 10 * time.Second
	cfg.Net.MaxOpenRequests = 1
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Metadata.Retry.Max = 50
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	cfg.Consumer.Retry.Backoff = 200 * time.Millisecond
	brokers := strings.Split(p.Bootstrap, ",")

	producer, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		emit(map[string]string{"fatal": err.Error()})
		os.Exit(1)
	}
	acked := map[string]bool{}
	for i := 0; i < p.Count; i++ {
		value := fmt.Sprintf("sarama-%d", i)
		_, offset, err := producer.SendMessage(&sarama.ProducerMessage{Topic: p.Topic, Partition: 0, Value: sarama.StringEncoder(value)})
		if err != nil {
			emit(map[string]string{"failed": value, "error": err.Error()})
		} else {
			acked[value] = true
			emit(map[string]interface{}{"acked": value, "offset": offset})
		}
		time.Sleep(time.Duration(p.PauseMs) * time.Millisecond)
	}
	producer.Close()

	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		emit(map[string]string{"fatal": err.Error()})
		os.Exit(1)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		emit(map[string]string{"fatal": err.Error()})
		os.Exit(1)
	}
	pc, err := consumer.ConsumePartition(p.Topic, 0, sarama.OffsetOldest)
	if err != nil {
		emit(map[string]string{"fatal": err.Error()})
		os.Exit(1)
	}
	out := []consumed{}
	seen := map[string]bool{}
	deadline := time.After(30 * time.Second)
	missing := func() int {
		n := 0
		for v := range acked {
			if !seen[v] {
				n++
			}
		}
		return n
	}
loop:
	for missing() > 0 {
		select {
		case m := <-pc.Messages():
			out = append(out, consumed{Offset: m.Offset, Value: string(m.Value)})
			seen[string(m.Value)] = true
		case e := <-pc.Errors():
			emit(map[string]string{"consumeError": e.Error()})
		case <-deadline:
			break loop
		}
	}
	pc.Close()
	consumer.Close()
	client.Close()
	emit(map[string]interface{}{"done": true, "consumed": out})
}
