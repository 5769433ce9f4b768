package journal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// hashDomain starts the canonical encoding of every record (doc.go).
const hashDomain = "deskwatch-journal/1\n"

// genesis is the PrevHash of the first record.
var genesis = strings.Repeat("0", 64)

// Record fields as stored in the record's hash, in canonical order (Hash
// last, outside the encoding).
const (
	fSeq     = "seq"
	fAt      = "at"
	fKind    = "kind"
	fEntry   = "entry"
	fBy      = "by"
	fPayload = "payload"
	fPrev    = "prev"
	fHash    = "hash"
)

var recordFields = []string{fSeq, fAt, fKind, fEntry, fBy, fPayload, fPrev, fHash}

// canonicalHash is the lower-case hex SHA-256 of the domain line followed by
// the seven fields as netstrings ("<byte length>:<bytes>,"), exactly as
// stored.
func canonicalHash(seq, at, kind, entry, by, payload, prev string) string {
	var scratch [1024]byte
	buf := append(scratch[:0], hashDomain...)
	for _, f := range [...]string{seq, at, kind, entry, by, payload, prev} {
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
		buf = append(buf, ',')
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// fields returns the record's stored fields in the order of recordFields,
// with the hash computed over them.
func (r Record) fields() [8]string {
	f := [8]string{strconv.FormatInt(r.Seq, 10), fmtTime(r.At), string(r.Kind), r.Entry, r.By, string(r.Payload), r.PrevHash}
	f[7] = canonicalHash(f[0], f[1], f[2], f[3], f[4], f[5], f[6])
	return f
}

// storedRecord is a record as read back from its hash.
type storedRecord map[string]string

// computeHash hashes the stored form of the fields.
func (s storedRecord) computeHash() string {
	return canonicalHash(s[fSeq], s[fAt], s[fKind], s[fEntry], s[fBy], s[fPayload], s[fPrev])
}

// record parses a stored record. It checks the shape only: the hash is
// checked by the callers.
func (s storedRecord) record() (Record, error) {
	for _, f := range recordFields {
		if _, ok := s[f]; !ok {
			return Record{}, fmt.Errorf("field %q missing", f)
		}
	}
	seq, err := strconv.ParseInt(s[fSeq], 10, 64)
	if err != nil || seq <= 0 {
		return Record{}, fmt.Errorf("seq %q is not a positive integer", s[fSeq])
	}
	at, err := parseTime(s[fAt])
	if err != nil {
		return Record{}, fmt.Errorf("at %q: %w", s[fAt], err)
	}
	if !kinds[Kind(s[fKind])] {
		return Record{}, fmt.Errorf("unknown kind %q", s[fKind])
	}
	return Record{Seq: seq, At: at, Kind: Kind(s[fKind]), Entry: s[fEntry], By: s[fBy],
		Payload: []byte(s[fPayload]), PrevHash: s[fPrev], Hash: s[fHash]}, nil
}

// Keys; the schema is in doc.go. Every key carries the hash tag {journal},
// so the append script touches one Cluster slot.

func (j *Journal) key(name string) string { return j.prefix + "{journal}:" + name }
func (j *Journal) headKey() string        { return j.key("head") }
func (j *Journal) recordKey(seq int64) string {
	return j.key("r:" + strconv.FormatInt(seq, 10))
}
func (j *Journal) entryKey(id string) string      { return j.key("e:" + id) }
func (j *Journal) anchorsKey(cause string) string { return j.key("anchors:" + cause) }
func (j *Journal) desksKey(id string) string      { return j.key("d:" + id) }
func (j *Journal) spansKey() string               { return j.key("spans") }
func (j *Journal) sumKey() string                 { return j.key("sum") }
func (j *Journal) yearsKey() string               { return j.key("years") }
func (j *Journal) indexKey() string               { return j.key("entries") }
func (j *Journal) followKey() string              { return j.key("follow") }

// head is the chain's last record.
type head struct {
	seq  int64
	hash string // "" for an empty chain
}

func (h head) prev() string {
	if h.seq == 0 {
		return genesis
	}
	return h.hash
}

func (j *Journal) readHead(ctx context.Context) (head, error) {
	vals, err := j.rdb.HMGet(ctx, j.headKey(), fSeq, fHash).Result()
	if err != nil {
		return head{}, fmt.Errorf("read chain head: %w", err)
	}
	s, _ := vals[0].(string)
	h, _ := vals[1].(string)
	if s == "" && h == "" {
		return head{}, nil
	}
	seq, err := strconv.ParseInt(s, 10, 64)
	if err != nil || seq <= 0 || h == "" {
		return head{}, fmt.Errorf("%w: seq %q, hash %q", errMalformedHead, s, h)
	}
	return head{seq, h}, nil
}

// scriptAppend appends records if, and only if, the chain head is still the
// one they were hashed on. ARGV: the expected head hash ("" for an empty
// chain), the new head's seq and hash, then operations, each: command,
// index in KEYS, argument count, arguments. REC writes a record (its hash
// key; arguments: the KEYS index of its entry's index, then the eight
// fields in the order of recordFields) and appends its seq to the entry's
// index; it refuses a record key that exists, checked for all records before
// anything is written. HSET, ZADD and SADD maintain the other indexes.
// Returns 1, or 0 when the head moved (the caller plans again).
var scriptAppend = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'hash') or ''
if cur ~= ARGV[1] then return 0 end
local i = 4
while i <= #ARGV do
  if ARGV[i] == 'REC' and redis.call('EXISTS', KEYS[tonumber(ARGV[i + 1])]) == 1 then
    return redis.error_reply('ERR journal: ' .. KEYS[tonumber(ARGV[i + 1])] .. ' already exists')
  end
  i = i + 3 + tonumber(ARGV[i + 2])
end
i = 4
while i <= #ARGV do
  local cmd, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  if cmd == 'REC' then
    local a = i + 3
    redis.call('HSET', key, 'seq', ARGV[a + 1], 'at', ARGV[a + 2], 'kind', ARGV[a + 3], 'entry', ARGV[a + 4],
      'by', ARGV[a + 5], 'payload', ARGV[a + 6], 'prev', ARGV[a + 7], 'hash', ARGV[a + 8])
    redis.call('RPUSH', KEYS[tonumber(ARGV[a])], ARGV[a + 1])
  elseif cmd == 'HSET' or cmd == 'ZADD' or cmd == 'SADD' then
    redis.call(cmd, key, unpack(ARGV, i + 3, i + 2 + n))
  else
    return redis.error_reply('ERR journal: unknown operation ' .. cmd)
  end
  i = i + 3 + n
end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'hash', ARGV[3])
return 1
`)

// batch is one call of scriptAppend: records and the index writes that go
// with them, so that any prefix of the batches applied leaves the indexes
// consistent with the chain.
type batch struct {
	keys     []string
	keyIndex map[string]int
	args     []any // ARGV: expected head hash, new head seq and hash (set by close), operations
}

const maxOpArgs = 1000 // arguments per operation (Lua's unpack has a limit near 8000)

func newBatch(expect string, keyHead string) *batch {
	b := &batch{keyIndex: map[string]int{}, args: make([]any, 3, 16*batchRecords)}
	b.args[0] = expect
	b.keyOf(keyHead)
	return b
}

// close sets the head the batch leaves.
func (b *batch) close(h head) { b.args[1], b.args[2] = h.seq, h.hash }

func (b *batch) keyOf(key string) int {
	if i, ok := b.keyIndex[key]; ok {
		return i
	}
	b.keys = append(b.keys, key)
	b.keyIndex[key] = len(b.keys)
	return len(b.keys)
}

// rec adds a record: its key, its entry's index and its fields in the order
// of recordFields.
func (b *batch) rec(key, index string, fields *[8]string) {
	b.args = append(b.args, "REC", b.keyOf(key), 9, b.keyOf(index))
	for _, f := range fields {
		b.args = append(b.args, f)
	}
}

// op adds an index write; HSET, ZADD and SADD with many arguments are split
// (HSET and ZADD arguments come in pairs).
func (b *batch) op(cmd, key string, args ...string) {
	k := b.keyOf(key)
	for len(args) > 0 {
		n := min(len(args), maxOpArgs)
		b.args = append(b.args, cmd, k, n)
		for _, a := range args[:n] {
			b.args = append(b.args, a)
		}
		args = args[n:]
	}
}

// commit runs the batches in one pipeline. It returns errHeadMoved if
// another writer appended first; batches before the conflicting one stay
// applied, which is consistent: the caller plans again from the new head.
func (j *Journal) commit(ctx context.Context, batches []*batch) error {
	if len(batches) == 0 {
		return nil
	}
	for attempt := 0; ; attempt++ {
		cmds, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, b := range batches {
				scriptAppend.EvalSha(ctx, p, b.keys, b.args...)
			}
			return nil
		})
		if attempt == 0 && anyNoScript(cmds) {
			if err := scriptAppend.Load(ctx, j.rdb).Err(); err != nil {
				return fmt.Errorf("load append script: %w", err)
			}
			// Batches that ran before the first NOSCRIPT moved the head:
			// run only the rest.
			batches = batches[applied(cmds):]
			if len(batches) == 0 {
				return nil
			}
			continue
		}
		for _, c := range cmds {
			n, cerr := c.(*redis.Cmd).Int64()
			switch {
			case cerr != nil:
				return fmt.Errorf("append records: %w", cerr)
			case n == 0:
				return errHeadMoved
			}
		}
		if err != nil {
			return fmt.Errorf("append records: %w", err)
		}
		return nil
	}
}

var (
	errHeadMoved     = errors.New("journal: chain head moved")
	errMalformedHead = errors.New("journal: the chain head is malformed")
)

// applied counts the leading commands that succeeded.
func applied(cmds []redis.Cmder) int {
	for i, c := range cmds {
		if n, err := c.(*redis.Cmd).Int64(); err != nil || n != 1 {
			return i
		}
	}
	return len(cmds)
}

func anyNoScript(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			return true
		}
	}
	return false
}

// readRecords reads records by seq, checking each against its own hash (not
// the links: Verify walks those). A missing record is an error.
func (j *Journal) readRecords(ctx context.Context, seqs []int64) ([]Record, error) {
	out := make([]Record, 0, len(seqs))
	for start := 0; start < len(seqs); start += readChunk {
		part := seqs[start:min(start+readChunk, len(seqs))]
		cmds := make([]*redis.MapStringStringCmd, len(part))
		_, err := j.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, seq := range part {
				cmds[i] = p.HGetAll(ctx, j.recordKey(seq))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read records: %w", err)
		}
		for i, c := range cmds {
			s := storedRecord(c.Val())
			if len(s) == 0 {
				return nil, fmt.Errorf("record %d: missing: %w", part[i], ErrTampered)
			}
			r, err := s.record()
			if err != nil {
				return nil, fmt.Errorf("record %d: %v: %w", part[i], err, ErrTampered)
			}
			if r.Seq != part[i] || s.computeHash() != r.Hash {
				return nil, fmt.Errorf("record %d: %w", part[i], ErrTampered)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

const readChunk = 1000
