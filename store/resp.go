package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unsafe"

	"github.com/redis/go-redis/v9"
)

// Range reads take their replies raw, as RESP bytes in one buffer per
// command, and parse them here: the thousands of IDs and records of a reply
// then share one string instead of costing two allocations each, and the
// buffer grows by doubling (or is sized up front) rather than element by
// element.

// rawReply is a command of a pipeline whose reply is kept raw. It is the
// io.Writer (and io.ReaderFrom, so that bulk data is read straight into
// it) of a redis.RawWriteToCmd.
type rawReply struct {
	cmd *redis.RawWriteToCmd
	buf []byte
}

// queueRaw queues args in p, to be read raw into a buffer of about size
// bytes to begin with.
func queueRaw(ctx context.Context, p redis.Pipeliner, size int, args ...any) *rawReply {
	r := &rawReply{buf: make([]byte, 0, size)}
	r.cmd = redis.NewRawWriteToCmd(ctx, r, args...)
	_ = p.Process(ctx, r.cmd) // a pipeline only queues
	return r
}

// Write takes the RESP header lines of the reply (bulk data comes through
// ReadFrom). A top-level header (array or error; the elements of the
// replies read raw are bulk strings and nulls) starts the reply again: if
// go-redis retries the pipeline, the retry's reply replaces what the failed
// attempt left.
func (r *rawReply) Write(p []byte) (int, error) {
	if len(p) > 0 {
		switch p[0] {
		case '*', '~', '-', '!':
			r.buf = r.buf[:0]
		}
	}
	r.grow(len(p))
	r.buf = append(r.buf, p...)
	return len(p), nil
}

// ReadFrom reads bulk data (an io.LimitedReader over the connection)
// straight into the buffer.
func (r *rawReply) ReadFrom(src io.Reader) (int64, error) {
	var total int64
	for {
		if lr, ok := src.(*io.LimitedReader); ok {
			if lr.N <= 0 {
				return total, nil
			}
			r.grow(int(min(lr.N, 1<<20)))
		} else {
			r.grow(512)
		}
		n, err := src.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+n]
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// grow makes room for n more bytes, at least doubling the buffer.
func (r *rawReply) grow(n int) {
	if cap(r.buf)-len(r.buf) >= n {
		return
	}
	b := make([]byte, len(r.buf), max(2*cap(r.buf), len(r.buf)+n, 64))
	copy(b, r.buf)
	r.buf = b
}

// reader returns a reader of the reply, or the command's error.
func (r *rawReply) reader() (*respReader, error) {
	if err := r.cmd.Err(); err != nil {
		return nil, err
	}
	// The reply's strings share the buffer, which nothing writes to any
	// more: the command has completed, and the buffer is never reused.
	return &respReader{s: unsafe.String(unsafe.SliceData(r.buf), len(r.buf))}, nil
}

// replyError is an error reply found in a raw reply. It is a redis.Error,
// as the errors go-redis returns for error replies.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

// respReader reads a raw reply (RESP2 or RESP3): arrays of bulk strings
// and nulls, which is what ZRANGEBYSCORE, HMGET and the range script
// return. The strings it returns share s's memory.
type respReader struct {
	s string
	i int
}

// line returns the next line without its CRLF.
func (r *respReader) line() (string, error) {
	j := strings.Index(r.s[r.i:], "\r\n")
	if j < 1 {
		return "", fmt.Errorf("malformed reply at byte %d", r.i)
	}
	l := r.s[r.i : r.i+j]
	r.i += j + 2
	return l, nil
}

// array reads an array header and returns its length (0 for a null array).
func (r *respReader) array() (int, error) {
	l, err := r.line()
	if err != nil {
		return 0, err
	}
	switch l[0] {
	case '*', '~': // array, set
		n, err := strconv.Atoi(l[1:])
		if err != nil {
			return 0, fmt.Errorf("malformed reply: array length %q", l)
		}
		return max(n, 0), nil
	case '_':
		return 0, nil
	case '-':
		return 0, replyError(l[1:])
	case '!':
		r.i -= len(l) + 2
		_, _, err := r.bulk()
		return 0, err
	}
	return 0, fmt.Errorf("unexpected reply %.40q, want an array", l)
}

// bulk reads a bulk string, simple string or null (null: ok false).
func (r *respReader) bulk() (v string, ok bool, err error) {
	l, err := r.line()
	if err != nil {
		return "", false, err
	}
	switch l[0] {
	case '$', '!':
		n, err := strconv.Atoi(l[1:])
		if err != nil {
			return "", false, fmt.Errorf("malformed reply: string length %q", l)
		}
		if n < 0 {
			return "", false, nil
		}
		if r.i+n+2 > len(r.s) {
			return "", false, errors.New("malformed reply: string past the end")
		}
		v = r.s[r.i : r.i+n]
		r.i += n + 2
		if l[0] == '!' {
			return "", false, replyError(v)
		}
		return v, true, nil
	case '+':
		return l[1:], true, nil
	case '_':
		return "", false, nil
	case '-':
		return "", false, replyError(l[1:])
	}
	return "", false, fmt.Errorf("unexpected reply %.40q, want a string", l)
}
