package journal

import (
	"context"
	"deskwatch/internal/fence"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Record fields as stored in the record's hash; hash.go lists each
// format's.
const (
	fSeq     = "seq"
	fAt      = "at"
	fKind    = "kind"
	fEntry   = "entry"
	fBy      = "by"
	fActor   = "actor"
	fAlg     = "alg"
	fPayload = "payload"
	fPrev    = "prev"
	fHash    = "hash"
)

// storedRecord is a record as read back from its hash.
type storedRecord map[string]string

// record parses a stored record. It checks the shape only: the hash is
// checked by the callers.
func (s storedRecord) record() (Record, error) {
	for _, f := range s.fieldNames() {
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
	return Record{Seq: seq, At: at, Kind: Kind(s[fKind]), Entry: s[fEntry], By: s[fBy], Actor: s[fActor], Alg: s[fAlg],
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
func (j *Journal) fenceKey() string               { return j.key("fence") }

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
// one they were hashed on and no later leader has appended (fence.go).
// KEYS: 1 the head, 2 the fence. ARGV: the expected head hash ("" for an
// empty chain), the new head's seq and hash, the writer's epoch (0:
// unfenced), then operations, each: command,
// index in KEYS, argument count, arguments. REC writes a record (its hash
// key; arguments: the KEYS index of its entry's index, then the ten
// fields in the order of fields2) and appends its seq to the entry's
// index; it refuses a record key that exists, checked for all records before
// anything is written. HSET, ZADD and SADD maintain the other indexes.
// Returns 1, or 0 when the head moved (the caller plans again); a fenced
// writer gets the error FENCED <held epoch> and nothing is written.
var scriptAppend = redis.NewScript(fence.Lua + `
fence(KEYS[2], ARGV[4])
local cur = redis.call('HGET', KEYS[1], 'hash') or ''
if cur ~= ARGV[1] then return 0 end
local i = 5
while i <= #ARGV do
  if ARGV[i] == 'REC' and redis.call('EXISTS', KEYS[tonumber(ARGV[i + 1])]) == 1 then
    return redis.error_reply('ERR journal: ' .. KEYS[tonumber(ARGV[i + 1])] .. ' already exists')
  end
  i = i + 3 + tonumber(ARGV[i + 2])
end
i = 5
while i <= #ARGV do
  local cmd, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
  if cmd == 'REC' then
    local a = i + 3
    redis.call('HSET', key, 'seq', ARGV[a + 1], 'at', ARGV[a + 2], 'kind', ARGV[a + 3], 'entry', ARGV[a + 4],
      'by', ARGV[a + 5], 'actor', ARGV[a + 6], 'alg', ARGV[a + 7], 'payload', ARGV[a + 8], 'prev', ARGV[a + 9],
      'hash', ARGV[a + 10])
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
	args     []any // ARGV: expected head hash, new head seq and hash (set by close), epoch (set by commit), operations
}

const maxOpArgs = 1000 // arguments per operation (Lua's unpack has a limit near 8000)

func newBatch(expect, keyHead, keyFence string) *batch {
	b := &batch{keyIndex: map[string]int{}, args: make([]any, 4, 16*batchRecords)}
	b.args[0] = expect
	b.keyOf(keyHead)
	b.keyOf(keyFence)
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
// of fields2.
func (b *batch) rec(key, index string, fields *[10]string) {
	b.args = append(b.args, "REC", b.keyOf(key), 11, b.keyOf(index))
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

// commit runs the batches in one pipeline, as a writer of epoch (0:
// unfenced). It returns errHeadMoved if another writer appended first, a
// *FencedError if a later leader has appended; batches before the
// conflicting one stay applied, which is consistent: the caller plans again
// from the new head.
func (j *Journal) commit(ctx context.Context, batches []*batch, epoch int64) error {
	if len(batches) == 0 {
		return nil
	}
	for _, b := range batches {
		b.args[3] = epoch
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
				if fe := j.fencedErr(cerr, epoch); fe != nil {
					return fe
				}
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
			h, err := j.hashOf(s)
			if err != nil {
				return nil, fmt.Errorf("record %d: %w", part[i], err)
			}
			if r.Seq != part[i] || h != r.Hash {
				return nil, fmt.Errorf("record %d: %w", part[i], ErrTampered)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

const readChunk = 1000
