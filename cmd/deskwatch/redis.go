package main

import (
	"slices"

	"deskwatch/config"
	"deskwatch/store"
)

// redisTarget says where the configured Redis is, with the passwords read,
// for store.Open.
func redisTarget(cfg *config.Config) (store.Target, error) {
	r := cfg.Redis
	pw, err := cfg.RedisPassword()
	if err != nil {
		return store.Target{}, err
	}
	t := store.Target{URL: r.URL, Password: pw, WaitReplicas: r.Replicas(), WaitTimeout: r.WaitTimeout}
	if s := r.Sentinel; s != nil {
		spw, err := cfg.RedisSentinelPassword()
		if err != nil {
			return store.Target{}, err
		}
		t.Sentinel = &store.Sentinel{Master: s.Master, Addrs: slices.Clone(s.Addrs), Password: spw}
	}
	if r.Cluster != nil {
		t.Cluster = slices.Clone(r.Cluster.Addrs)
	}
	return t, nil
}
