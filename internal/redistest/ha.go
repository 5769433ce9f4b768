package redistest

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Deadlines for what takes seconds on an idle machine and may take many
// times longer on a loaded one.
const (
	syncTimeout     = 60 * time.Second // a replica's first sync, a cluster joining
	failoverTimeout = 90 * time.Second // detection, election and promotion
)

// SentinelMaster is the master name the sentinels of StartSentinels know.
const SentinelMaster = "mymaster"

// StartReplica starts a server replicating master and waits until the
// master counts it online.
func StartReplica(tb testing.TB, master *Server) *Server {
	tb.Helper()
	// The master waits 5 s by default before a diskless sync, for more
	// replicas to share it.
	if _, err := command(master.Addr(), "CONFIG", "SET", "repl-diskless-sync-delay", "0"); err != nil {
		tb.Fatalf("redistest: configure master %s: %v", master.Addr(), err)
	}
	r := startServer(tb, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	waitFor(tb, syncTimeout, "replica "+r.Addr()+" in sync with "+master.Addr(), func() (bool, string) {
		info, err := command(master.Addr(), "INFO", "replication")
		want := "port=" + strconv.Itoa(r.port) + ",state=online"
		return err == nil && strings.Contains(info, want), fmt.Sprint(info, err)
	})
	return r
}

// Sentinels is a master and its replicas watched by three sentinels
// (quorum 2, a node is down after 1.5 s without answers).
type Sentinels struct {
	tb        testing.TB
	Data      []*Server // the first master, then its replicas
	Sentinels []*Server
}

// StartSentinels starts a master, replicas replicating it and three
// sentinels, and waits until every sentinel knows the replicas and the
// other sentinels, so that a failover can be agreed on.
func StartSentinels(tb testing.TB, replicas int) *Sentinels {
	tb.Helper()
	master := startServer(tb)
	s := &Sentinels{tb: tb, Data: []*Server{master}}
	for range replicas {
		s.Data = append(s.Data, StartReplica(tb, master))
	}
	conf := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\n"+
		"sentinel down-after-milliseconds %[1]s 1500\n"+
		"sentinel failover-timeout %[1]s 10000\n", SentinelMaster, master.port)
	for range 3 {
		s.Sentinels = append(s.Sentinels, startWithConf(tb, conf, "--sentinel"))
	}
	waitFor(tb, syncTimeout, "sentinels to know each other and the replicas", func() (bool, string) {
		for _, sn := range s.Sentinels {
			reps, err1 := do(sn.Addr(), "SENTINEL", "REPLICAS", SentinelMaster)
			peers, err2 := do(sn.Addr(), "SENTINEL", "SENTINELS", SentinelMaster)
			_, err3 := do(sn.Addr(), "SENTINEL", "CKQUORUM", SentinelMaster)
			r, _ := reps.([]any)
			p, _ := peers.([]any)
			if len(r) < replicas || len(p) < 2 || err1 != nil || err2 != nil || err3 != nil {
				return false, fmt.Sprintf("sentinel %s: %d replicas, %d peers, %v %v %v", sn.Addr(), len(r), len(p), err1, err2, err3)
			}
		}
		return true, ""
	})
	return s
}

// Addrs are the sentinels' addresses.
func (s *Sentinels) Addrs() []string { return addrs(s.Sentinels) }

// Master is the data node every answering sentinel names as the master,
// or nil while they disagree or name a node that is not one of Data.
func (s *Sentinels) Master() *Server {
	var named string
	for _, sn := range s.Sentinels {
		reply, err := do(sn.Addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster)
		hp, _ := reply.([]any)
		if err != nil || len(hp) != 2 {
			continue // a killed sentinel, say
		}
		addr := fmt.Sprintf("%v:%v", hp[0], hp[1])
		if named != "" && addr != named {
			return nil
		}
		named = addr
	}
	for _, d := range s.Data {
		if d.Addr() == named {
			return d
		}
	}
	return nil
}

// WaitFailover waits until the sentinels name a master other than old and
// that node says it is a master, and returns it.
func (s *Sentinels) WaitFailover(old *Server) *Server {
	s.tb.Helper()
	var m *Server
	waitFor(s.tb, failoverTimeout, "sentinels to promote a replica of "+old.Addr(), func() (bool, string) {
		m = s.Master()
		if m == nil || m == old {
			return false, "sentinels still name the old master or disagree"
		}
		role, err := do(m.Addr(), "ROLE")
		r, _ := role.([]any)
		return err == nil && len(r) > 0 && r[0] == "master", fmt.Sprint(role, err)
	})
	return m
}

// Cluster is a Redis Cluster made by redis-cli --cluster create.
type Cluster struct {
	tb    testing.TB
	Nodes []*Server
}

// StartClusterOf starts masters × (1 + replicas) cluster nodes, joins them
// with redis-cli --cluster create (replicas per master) and waits until
// every node sees the cluster ok and every replica is in sync. A node is
// failing after 2 s without answers.
func StartClusterOf(tb testing.TB, masters, replicas int) *Cluster {
	tb.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("redis-cli not found in PATH: install it (apt-get install redis-tools)")
	}
	c := &Cluster{tb: tb}
	for range masters * (1 + replicas) {
		c.Nodes = append(c.Nodes, startServer(tb, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--repl-diskless-sync-delay", "0"))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	known := "cluster_known_nodes:" + strconv.Itoa(len(c.Nodes))
	waitFor(tb, syncTimeout, "the cluster to be ok on every node", func() (bool, string) {
		for _, n := range c.Nodes {
			info, err := command(n.Addr(), "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, known) {
				return false, n.Addr() + ": " + fmt.Sprint(info, err)
			}
			repl, err := command(n.Addr(), "INFO", "replication")
			if err != nil || strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
				return false, n.Addr() + ": " + fmt.Sprint(repl, err)
			}
		}
		return true, ""
	})
	return c
}

// Addrs are the nodes' addresses.
func (c *Cluster) Addrs() []string { return addrs(c.Nodes) }

// Masters are the nodes that say they are masters now.
func (c *Cluster) Masters() []*Server {
	var out []*Server
	for _, n := range c.Nodes {
		if isMaster(n) {
			out = append(out, n)
		}
	}
	return out
}

func isMaster(n *Server) bool {
	role, err := do(n.Addr(), "ROLE")
	r, _ := role.([]any)
	return err == nil && len(r) > 0 && r[0] == "master"
}

// ReplicasOf are the nodes replicating master now.
func (c *Cluster) ReplicasOf(master *Server) []*Server {
	var out []*Server
	for _, n := range c.Nodes {
		role, err := do(n.Addr(), "ROLE")
		if r, _ := role.([]any); err == nil && len(r) > 2 && r[0] == "slave" && fmt.Sprint(r[2]) == strconv.Itoa(master.port) {
			out = append(out, n)
		}
	}
	return out
}

// WaitPromoted waits until one of the replicas of the killed master dead
// says it is a master and every other running node sees the cluster ok,
// and returns it.
func (c *Cluster) WaitPromoted(dead *Server, replicas ...*Server) *Server {
	c.tb.Helper()
	var promoted *Server
	waitFor(c.tb, failoverTimeout, "the cluster to promote a replica of "+dead.Addr(), func() (bool, string) {
		promoted = nil
		for _, r := range replicas {
			if isMaster(r) {
				promoted = r
			}
		}
		if promoted == nil {
			return false, "no replica is master yet"
		}
		for _, n := range c.Nodes {
			if n == dead {
				continue
			}
			if info, err := command(n.Addr(), "CLUSTER", "INFO"); err != nil || !strings.Contains(info, "cluster_state:ok") {
				return false, n.Addr() + ": " + fmt.Sprint(info, err)
			}
		}
		return true, ""
	})
	return promoted
}

func addrs(ss []*Server) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Addr()
	}
	return out
}

// waitFor polls cond until it holds, failing tb with cond's last
// explanation after timeout.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: timed out after %s waiting for %s: %s", timeout, what, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
