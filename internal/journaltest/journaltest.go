// Package journaltest plays the attacker of issue 13 against a journal in
// Redis, for tests: it rewrites records and recomputes their hashes as
// journal/doc.go documents them, written apart from package journal.
package journaltest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Hash is a stored record's hash as doc.go documents it: SHA-256 of
// "deskwatch-journal/1\n" and seq, at, kind, entry, by, payload, prev as
// netstrings; for a record with an alg field (format 2) of
// "deskwatch-journal/2\n" and seq, at, kind, entry, by, actor, alg,
// payload, prev, an HMAC-SHA256 with key when alg says so.
func Hash(r map[string]string, key ...byte) string {
	var b strings.Builder
	fields := []string{"seq", "at", "kind", "entry", "by", "payload", "prev"}
	domain := "deskwatch-journal/1\n"
	if _, v2 := r["alg"]; v2 {
		fields = []string{"seq", "at", "kind", "entry", "by", "actor", "alg", "payload", "prev"}
		domain = "deskwatch-journal/2\n"
	}
	b.WriteString(domain)
	for _, f := range fields {
		fmt.Fprintf(&b, "%d:%s,", len(r[f]), r[f])
	}
	if strings.HasPrefix(r["alg"], "hmac-sha256:") {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(b.String()))
		return hex.EncodeToString(m.Sum(nil))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// Forge rewrites record from of the journal under prefix (change edits its
// fields) and recomputes every hash after it and the head, without the key:
// all that someone with Redis access alone can do. alg, if set, replaces
// the rewritten records' alg field.
func Forge(ctx context.Context, rdb redis.Cmdable, prefix string, from int64, alg string, change func(r map[string]string)) error {
	key := func(name string) string { return prefix + ":{journal}:" + name }
	n, err := rdb.HGet(ctx, key("head"), "seq").Int64()
	if err != nil {
		return fmt.Errorf("journal head: %w", err)
	}
	prev := strings.Repeat("0", 64)
	if from > 1 {
		if prev, err = rdb.HGet(ctx, key("r:"+strconv.FormatInt(from-1, 10)), "hash").Result(); err != nil {
			return err
		}
	}
	for seq := from; seq <= n; seq++ {
		k := key("r:" + strconv.FormatInt(seq, 10))
		r, err := rdb.HGetAll(ctx, k).Result()
		if err != nil {
			return err
		}
		if seq == from {
			change(r)
		}
		if alg != "" {
			r["alg"] = alg
		}
		r["prev"] = prev
		r["hash"] = Hash(r)
		prev = r["hash"]
		if err := rdb.HSet(ctx, k, r).Err(); err != nil {
			return err
		}
	}
	return rdb.HSet(ctx, key("head"), "seq", n, "hash", prev).Err()
}
