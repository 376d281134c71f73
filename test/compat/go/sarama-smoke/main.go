// sarama (Debian golang-github-shopify-sarama-dev 1.22) smoke client for the compat tests.
// One JSON argument: {"bootstrap","topic","partition","version","codec","messages":[{"key","value"}],
// "tls":{"ca","cert","key"} (optional PEM file paths), "sasl":{"user","password"} (optional, PLAIN)}
// (bytes as hex, null allowed). Produces with a SyncProducer pinned to `partition`, consumes the
// partition from the oldest offset, and prints one JSON line with what happened.
// Build (offline, GOPATH mode): GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off go build
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io/ioutil"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

type msg struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type params struct {
	Bootstrap string `json:"bootstrap"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Version   string `json:"version"`
	Codec     string `json:"codec"`
	Messages  []msg  `json:"messages"`
	TLS       *struct {
		CA   string `json:"ca"`
		Cert string `json:"cert"`
		Key  string `json:"key"`
	} `json:"tls"`
	SASL *struct {
		User     string `json:"user"`
		Password string `json:"password"`
	} `json:"sasl"`
}

type consumed struct {
	Offset    int64   `json:"offset"`
	Key       *string `json:"key"`
	Value     *string `json:"value"`
	Timestamp int64   `json:"timestamp"`
}

type result struct {
	Version  string     `json:"version"`
	Offsets  []int64    `json:"offsets"`
	Consumed []consumed `json:"consumed"`
	Error    string     `json:"error,omitempty"`
}

func unhex(s *string) sarama.Encoder {
	if s == nil {
		return nil
	}
	b, err := hex.DecodeString(*s)
	if err != nil {
		panic(err)
	}
	return sarama.ByteEncoder(b)
}

func tohex(b []byte) *string {
	if b == nil {
		return nil
	}
	s := hex.EncodeToString(b)
	return &s
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func run(p params) (res result) {
	cfg := sarama.NewConfig()
	if p.Version != "" && p.Version != "default" {
		v, err := sarama.ParseKafkaVersion(p.Version)
		if err != nil {
			res.Error = err.Error()
			return
		}
		cfg.Version = v
	}
	res.Version = cfg.Version.String()
	cfg.ClientID = "compat-sarama"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Compression = codecs[p.Codec]
	cfg.Producer.Retry.Max = 0
	cfg.Producer.Flush.Messages = len(p.Messages) // one request, so the whole set is compressed together
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond
	cfg.Metadata.Retry.Max = 2
	cfg.Net.DialTimeout = 10 * time.Second
	if p.TLS != nil {
		pem, err := ioutil.ReadFile(p.TLS.CA)
		if err != nil {
			res.Error = "tls: " + err.Error()
			return
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tc := &tls.Config{RootCAs: pool}
		if p.TLS.Cert != "" {
			pair, err := tls.LoadX509KeyPair(p.TLS.Cert, p.TLS.Key)
			if err != nil {
				res.Error = "tls: " + err.Error()
				return
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = tc
	}
	if p.SASL != nil {
		cfg.Net.SASL.Enable = true
		cfg.Net.SASL.User = p.SASL.User
		cfg.Net.SASL.Password = p.SASL.Password
	}

	producer, err := sarama.NewSyncProducer([]string{p.Bootstrap}, cfg)
	if err != nil {
		res.Error = "producer: " + err.Error()
		return
	}
	batch := make([]*sarama.ProducerMessage, len(p.Messages))
	for i, m := range p.Messages {
		pm := &sarama.ProducerMessage{Topic: p.Topic, Partition: p.Partition, Value: unhex(m.Value)}
		if m.Key != nil {
			pm.Key = unhex(m.Key)
		}
		batch[i] = pm
	}
	if err := producer.SendMessages(batch); err != nil {
		res.Error = "send: " + err.Error()
		if errs, ok := err.(sarama.ProducerErrors); ok && len(errs) > 0 {
			res.Error += " first: " + errs[0].Err.Error()
		}
		producer.Close()
		return
	}
	for _, pm := range batch {
		res.Offsets = append(res.Offsets, pm.Offset)
	}
	producer.Close()

	consumer, err := sarama.NewConsumer([]string{p.Bootstrap}, cfg)
	if err != nil {
		res.Error = "consumer: " + err.Error()
		return
	}
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(p.Topic, p.Partition, sarama.OffsetOldest)
	if err != nil {
		res.Error = "consume: " + err.Error()
		return
	}
	defer pc.Close()
	deadline := time.After(10 * time.Second)
	for len(res.Consumed) < len(p.Messages) {
		select {
		case m := <-pc.Messages():
			res.Consumed = append(res.Consumed, consumed{Offset: m.Offset, Key: tohex(m.Key), Value: tohex(m.Value), Timestamp: m.Timestamp.UnixNano() / 1e6})
		case e := <-pc.Errors():
			res.Error = "consume: " + e.Error()
			return
		case <-deadline:
			res.Error = fmt.Sprintf("consume: timed out after %d of %d messages", len(res.Consumed), len(p.Messages))
			return
		}
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
