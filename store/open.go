package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Target says where Redis is: exactly one of URL, Sentinel and Cluster.
type Target struct {
	URL      string    // redis://[user[:pass]@]host:port/db or rediss://
	Sentinel *Sentinel // a master watched by Redis Sentinel
	Cluster  []string  // seed addresses of a Redis Cluster
	// Password is the data nodes' password; it replaces one in URL.
	Password string
	// WaitReplicas, if positive, is how many replicas must hold the
	// monitor's writes before they count as done (WAIT after each batch);
	// WaitTimeout bounds each wait (default 1 s). See DurableWrites.
	WaitReplicas int
	WaitTimeout  time.Duration
	// PoolSize, if positive, bounds the connections (per node): a side
	// client such as the access log's keeps its own small pool.
	PoolSize int
}

// clusterReload bounds how long a Cluster client keeps a slot map (5 s:
// a third of Redis's default cluster-node-timeout).
const clusterReload = 5 * time.Second

// Sentinel is a master name and the sentinels that know its address.
type Sentinel struct {
	Master   string
	Addrs    []string
	Password string // the sentinels' own (requirepass in sentinel.conf)
}

// Open builds the client for t: a plain client, a Sentinel-backed failover
// client that follows the master, or a Cluster client. It does no I/O:
// deskwatch starts while Redis is down and queues its writes.
func Open(t Target) (redis.UniversalClient, error) {
	n := 0
	for _, set := range []bool{t.URL != "", t.Sentinel != nil, len(t.Cluster) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("store: set exactly one of a URL, a Sentinel or a Cluster")
	}
	var rdb redis.UniversalClient
	switch {
	case t.URL != "":
		opt, err := redis.ParseURL(t.URL)
		if err != nil {
			return nil, fmt.Errorf("redis.url: %w", err)
		}
		if t.Password != "" {
			opt.Password = t.Password
		}
		if t.PoolSize > 0 {
			opt.PoolSize = t.PoolSize
		}
		rdb = redis.NewClient(opt)
	case t.Sentinel != nil:
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: t.Sentinel.Master, SentinelAddrs: t.Sentinel.Addrs,
			SentinelPassword: t.Sentinel.Password, Password: t.Password, PoolSize: t.PoolSize,
		})
	default:
		// go-redis re-reads the slots on MOVED or every minute, and a killed
		// master answers nothing: without a shorter period writes would go
		// to it for up to a minute after its replica took over.
		rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: t.Cluster, Password: t.Password,
			ClusterStateReloadInterval: clusterReload, PoolSize: t.PoolSize})
	}
	if t.WaitReplicas > 0 {
		DurableWrites(rdb, t.WaitReplicas, t.WaitTimeout)
	}
	return rdb, nil
}
