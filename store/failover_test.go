package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"deskwatch/health"
	"deskwatch/internal/redistest"
	"deskwatch/journal"
	"deskwatch/store"
)

// kill -9 the master under 1,000 transitions/s behind Sentinel: the
// sentinels promote a replica, the client follows it, the monitor's queued
// writes go on, and afterwards every span of the script is there once,
// and the journal, which followed the store throughout, verifies. Writes
// wait for one replica (the default with Sentinel), so nothing the monitor
// let go of was on the dead master alone; two replicas, so that the new
// master has one to wait for.
func TestSentinelFailoverUnderLoad(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinels(t, 2)
	rdb, err := store.Open(store.Target{
		Sentinel:     &store.Sentinel{Master: redistest.SentinelMaster, Addrs: s.Addrs()},
		WaitReplicas: 1, WaitTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, prefix, haLogger(t))
	l := startLoad(t, st)

	j, err := journal.New(rdb, journal.Options{Prefix: prefix, Location: time.UTC}, haLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() {
		followed <- j.Follow(ctx, journal.SpanSourceFunc(func(ctx context.Context, from, to time.Time) ([]health.Span, error) {
			return st.Spans(ctx, store.SpanQuery{From: from, To: to})
		}), 100*time.Millisecond)
	}()

	// The persistence check reads the current master: persistent before
	// the failover (set on the first master only), not after.
	pc := store.NewPersistenceCheck(rdb, haLogger(t), store.PersistenceOptions{})
	config(t, s.Data[0].Addr(), "appendonly", "yes")
	checkState(t, pc, store.Persistent)

	var failover time.Duration
	n := l.run(func() {
		l.eventually(time.Minute, "two seconds of load", func() bool { return l.sent.Load() >= 2000 })
		old := s.Master()
		old.Stop() // SIGKILL
		began := time.Now()
		s.WaitFailover(old)
		failover = time.Since(began)
	}, 2*time.Second)
	checkState(t, pc, store.NotPersistent)
	t.Logf("sentinels promoted a replica %s after the kill", failover.Round(time.Millisecond))
	l.check(n)

	cancel()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	res, err := j.Verify(context.Background())
	if err != nil || !res.OK || res.Count == 0 {
		t.Fatalf("journal verify = %+v, %v", res, err)
	}
	t.Logf("journal: %d records verified", res.Count)
}

// The same load through a Cluster client on three masters: each desk's
// scripts stay in its slot, the global index and blind intervals in theirs.
func TestClusterUnderLoad(t *testing.T) {
	t.Parallel()
	c := redistest.StartClusterOf(t, 3, 0)
	rdb, err := store.Open(store.Target{Cluster: c.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	l := startLoad(t, store.New(rdb, prefix, haLogger(t)))
	n := l.run(func() {
		l.eventually(time.Minute, "two seconds of load", func() bool { return l.sent.Load() >= 2000 })
	}, time.Second)
	l.check(n)

	// These masters have no replica: a client that waits for one says so.
	waiting, err := store.Open(store.Target{Cluster: c.Addrs(), WaitReplicas: 1, WaitTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = waiting.Close() })
	err = store.New(waiting, prefix, haLogger(t)).Apply(context.Background(), []health.Transition{down("op000", time.Hour, health.SourceARI)})
	if !errors.Is(err, store.ErrNotReplicated) {
		t.Fatalf("Apply waiting for a replica that is not there: %v", err)
	}
}

// kill -9 one of three Cluster masters under load: its replica takes its
// slots over and the writes go on. Each master has two replicas and the
// writes wait for one, so the promoted master has one to wait for.
func TestClusterFailoverUnderLoad(t *testing.T) {
	t.Parallel()
	c := redistest.StartClusterOf(t, 3, 2)
	rdb, err := store.Open(store.Target{Cluster: c.Addrs(), WaitReplicas: 1, WaitTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	l := startLoad(t, store.New(rdb, prefix, haLogger(t)))
	var failover time.Duration
	n := l.run(func() {
		l.eventually(time.Minute, "two seconds of load", func() bool { return l.sent.Load() >= 2000 })
		victim := c.Masters()[0]
		replicas := c.ReplicasOf(victim)
		if len(replicas) != 2 {
			t.Fatalf("%s has %d replicas", victim.Addr(), len(replicas))
		}
		victim.Stop() // SIGKILL
		began := time.Now()
		c.WaitPromoted(victim, replicas...)
		failover = time.Since(began)
	}, 2*time.Second)
	t.Logf("the cluster promoted a replica %s after the kill", failover.Round(time.Millisecond))
	l.check(n)
}
