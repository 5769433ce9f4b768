package store_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"deskwatch/internal/redistest"
	"deskwatch/store"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []store.Target{{}, {URL: "redis://h:6379/0", Cluster: []string{"h:6379"}}} {
		if _, err := store.Open(bad); err == nil {
			t.Errorf("Open(%+v) succeeded", bad)
		}
	}
	if _, err := store.Open(store.Target{URL: "http://h"}); err == nil {
		t.Error("Open with an http URL succeeded")
	}

	srv := redistest.StartServer(t)
	if _, err := redistest.Do(srv.Addr(), "CONFIG", "SET", "requirepass", "data-pw"); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Open(store.Target{URL: "redis://:wrong@" + srv.Addr() + "/0", Password: "data-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("the password given apart replaces the URL's: %v", err)
	}

	crdb, err := store.Open(store.Target{Cluster: []string{redistest.StartCluster(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer crdb.Close()
	if _, ok := crdb.(*redis.ClusterClient); !ok {
		t.Fatalf("Open(Cluster) = %T", crdb)
	}
	if err := crdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}
