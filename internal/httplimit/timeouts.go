package httplimit

import (
	"net/http"
	"time"
)

// Timeouts bound how long one connection may take: its request headers
// (ReadHeader), its whole request with the body (Read), an answer (Write)
// and the wait between requests of a keep-alive connection (Idle).
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// Server is an http.Server for h with the timeouts. net/http clears the
// read deadline once a request is read, so Read never cuts a long answer
// or a stream. Write is set per request rather than as the server's
// WriteTimeout, which would end every event stream: a request stream
// reports true for gets Write for each write instead, so a client that
// stops reading is still cut.
func (t Timeouts) Server(h http.Handler, stream func(*http.Request) bool) *http.Server {
	return &http.Server{Handler: t.handler(h, stream), ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, IdleTimeout: t.Idle}
}

func (t Timeouts) handler(h http.Handler, stream func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if stream != nil && stream(r) {
			h.ServeHTTP(&streamWriter{ResponseWriter: w, rc: rc, d: t.Write}, r)
			return
		}
		_ = rc.SetWriteDeadline(time.Now().Add(t.Write))
		h.ServeHTTP(w, r)
	})
}

// streamWriter gives every write of an event stream d to get through.
type streamWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (s *streamWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.d))
	return s.ResponseWriter.Write(p)
}

func (s *streamWriter) Flush() {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.d))
	_ = s.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *streamWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
