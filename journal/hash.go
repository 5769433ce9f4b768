package journal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Record formats (doc.go, "Hash"). Format 1 (no alg field) hashes seven
// fields with SHA-256; format 2 adds actor and alg, and alg says whether
// the digest is SHA-256 or HMAC-SHA256 with the journal's key. Old records
// keep verifying as they were written.
const (
	hashDomain1 = "deskwatch-journal/1\n"
	hashDomain2 = "deskwatch-journal/2\n"
	algPlain    = "sha256"
	algHMAC     = "hmac-sha256:" // followed by the key's id
	// MinKeyBytes is the shortest key Options.Key takes.
	MinKeyBytes = 32
)

// genesis is the PrevHash of the first record.
var genesis = strings.Repeat("0", 64)

// Stored fields of each format, in canonical order, the hash last.
var (
	fields1 = []string{fSeq, fAt, fKind, fEntry, fBy, fPayload, fPrev, fHash}
	fields2 = []string{fSeq, fAt, fKind, fEntry, fBy, fActor, fAlg, fPayload, fPrev, fHash}
)

// keyID names a key without revealing it: 16 hex digits of
// HMAC-SHA256(key, "deskwatch-journal key id").
func keyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("deskwatch-journal key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// canonical appends the domain line and the fields as netstrings
// ("<byte length>:<bytes>,").
func canonical(buf []byte, domain string, fields ...string) []byte {
	buf = append(buf, domain...)
	for _, f := range fields {
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
		buf = append(buf, ',')
	}
	return buf
}

// digest is the lower-case hex SHA-256 of msg, or, keyed, its HMAC-SHA256
// with the journal's key. HMAC states are reused: setting one up costs
// about as much as hashing a record, and six allocations.
func (j *Journal) digest(msg []byte, keyed bool) string {
	var sum [sha256.Size]byte
	if !keyed {
		sum = sha256.Sum256(msg)
		return hex.EncodeToString(sum[:])
	}
	m, _ := j.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, j.hmacKey)
	}
	m.Reset()
	m.Write(msg)
	s := hex.EncodeToString(m.Sum(sum[:0]))
	j.macs.Put(m)
	return s
}

// format is 2 for a stored record with an alg field, else 1.
func (s storedRecord) format() int {
	if _, ok := s[fAlg]; ok {
		return 2
	}
	return 1
}

func (s storedRecord) fieldNames() []string {
	if s.format() == 2 {
		return fields2
	}
	return fields1
}

// hashOf recomputes a stored record's hash. A keyed record needs the
// journal's key: without it, or with another one, the error wraps ErrKey.
func (j *Journal) hashOf(s storedRecord) (string, error) {
	var scratch [1024]byte
	if s.format() == 1 {
		return j.digest(canonical(scratch[:0], hashDomain1, s[fSeq], s[fAt], s[fKind], s[fEntry], s[fBy], s[fPayload], s[fPrev]), false), nil
	}
	keyed, err := j.algKeyed(s[fAlg])
	if err != nil {
		return "", err
	}
	return j.digest(canonical(scratch[:0], hashDomain2, s[fSeq], s[fAt], s[fKind], s[fEntry], s[fBy], s[fActor], s[fAlg], s[fPayload], s[fPrev]), keyed), nil
}

// algKeyed says whether an alg field asks for the journal's key, which must
// then be the one it names.
func (j *Journal) algKeyed(alg string) (bool, error) {
	id, keyed := strings.CutPrefix(alg, algHMAC)
	switch {
	case alg == algPlain:
		return false, nil
	case !keyed:
		return false, fmt.Errorf("unknown alg %q", alg)
	case j.hmacKey == nil:
		return false, fmt.Errorf("keyed with key %s and no key is configured: %w", id, ErrKey)
	case id != j.keyID:
		return false, fmt.Errorf("keyed with key %s, the configured key is %s: %w", id, j.keyID, ErrKey)
	}
	return true, nil
}

// seal gives a new record's stored fields in the order of fields2, its
// hash last: keyed when the journal has a key.
func (j *Journal) seal(r Record) [10]string {
	alg := algPlain
	if j.hmacKey != nil {
		alg = algHMAC + j.keyID
	}
	f := [10]string{strconv.FormatInt(r.Seq, 10), fmtTime(r.At), string(r.Kind), r.Entry, r.By, r.Actor, alg, string(r.Payload), r.PrevHash}
	var scratch [1024]byte
	f[9] = j.digest(canonical(scratch[:0], hashDomain2, f[:9]...), j.hmacKey != nil)
	return f
}
