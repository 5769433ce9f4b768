package spool

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	magic      = "DWSPOOL1"
	headerSize = int64(len(magic)) // of a segment
	recHeader  = 8                 // length and CRC of a record
	bodyFixed  = 9                 // kind and seq
	// maxBody bounds a record's body: a longer length is damage, not data.
	maxBody = 1 << 20

	kindEntry = 1
	kindAck   = 2

	segSuffix = ".seg"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordSize is the bytes a record with a payload of n bytes takes.
func recordSize(n int) int64 { return int64(recHeader + bodyFixed + n) }

// appendRecord encodes one record onto b.
func appendRecord(b []byte, kind byte, seq uint64, payload []byte) []byte {
	n := bodyFixed + len(payload)
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = append(b, 0, 0, 0, 0) // CRC, below
	b = append(b, kind)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = append(b, payload...)
	crc := crc32.Checksum(b[start+recHeader:], castagnoli)
	binary.LittleEndian.PutUint32(b[start+4:], crc)
	return b
}

// record is one decoded record; payload shares the buffer it came from.
type record struct {
	kind    byte
	seq     uint64
	payload []byte
}

// parseRecord decodes the record at the start of b. need > 0 says b holds
// only part of a record of that many bytes; a non-empty problem says the
// bytes are not a record.
func parseRecord(b []byte) (r record, size int, need int, problem string) {
	if len(b) < recHeader {
		return r, 0, recHeader, ""
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < bodyFixed || n > maxBody {
		return r, 0, 0, fmt.Sprintf("record length %d outside %d..%d", n, bodyFixed, maxBody)
	}
	if len(b) < recHeader+n {
		return r, 0, recHeader + n, ""
	}
	body := b[recHeader : recHeader+n]
	if crc := crc32.Checksum(body, castagnoli); crc != binary.LittleEndian.Uint32(b[4:]) {
		return r, 0, 0, "CRC mismatch"
	}
	r = record{kind: body[0], seq: binary.LittleEndian.Uint64(body[1:]), payload: body[bodyFixed:]}
	switch {
	case r.kind != kindEntry && r.kind != kindAck:
		return r, 0, 0, fmt.Sprintf("unknown record kind %d", r.kind)
	case r.kind == kindAck && len(r.payload) != 0:
		return r, 0, 0, "ack with a payload"
	}
	return r, recHeader + n, 0, ""
}

// validRecordIn reports whether any complete, valid record starts in b: a
// bad record followed by one is damage, not a torn end.
func validRecordIn(b []byte) bool {
	for i := range b {
		if _, size, _, problem := parseRecord(b[i:]); size > 0 && problem == "" {
			return true
		}
	}
	return false
}

func segName(first uint64) string { return fmt.Sprintf("%020d%s", first, segSuffix) }

// parseSegName returns the first sequence number a segment file is named
// by; ok is false for any other file.
func parseSegName(path string) (first uint64, ok bool) {
	name := filepath.Base(path)
	digits, found := strings.CutSuffix(name, segSuffix)
	if !found || len(digits) != 20 {
		return 0, false
	}
	first, err := strconv.ParseUint(digits, 10, 64)
	return first, err == nil
}

// CorruptError is damage inside the spool that is not a torn last write:
// Open refuses to go on and leaves the file as it is for an operator.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("spool: %s is corrupt at offset %d: %s (the file is kept as it is for an operator; "+
		"the records before that offset are intact; move the file out of the spool directory to start without it)", e.File, e.Offset, e.Reason)
}
