package alerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// smtpServer is a small SMTP submission server on a real TCP socket:
// EHLO, STARTTLS or implicit TLS (self-signed certificate made here), AUTH
// PLAIN and LOGIN (only over TLS, credentials checked), MAIL, RCPT, DATA,
// RSET, NOOP, QUIT. It records the accepted messages and every command it
// saw.
type smtpServer struct {
	Addr    string
	Roots   *x509.CertPool // trusts the server's certificate
	CertPEM []byte         // the same, for EmailOptions.CACerts

	user, pass string
	noSTARTTLS bool         // do not offer STARTTLS
	implicit   bool         // TLS from the first byte (port 465); no STARTTLS
	mechs      string       // AUTH mechanisms offered (default "PLAIN LOGIN")
	failData   atomic.Int32 // answer the next n DATA commands with 451

	ln    net.Listener
	tls   *tls.Config
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
	msgs  []smtpMessage
	cmds  []smtpCommand
}

type smtpMessage struct {
	From string
	To   []string
	Data string
	TLS  bool
	User string
	Mech string // AUTH mechanism used
}

type smtpCommand struct {
	Line string
	TLS  bool
}

func startSMTP(t *testing.T, user, pass string, configure func(*smtpServer)) *smtpServer {
	t.Helper()
	cert, roots := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{Addr: ln.Addr().String(), Roots: roots, user: user, pass: pass, ln: ln,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Leaf.Raw}),
		tls:     &tls.Config{Certificates: []tls.Certificate{cert}}, conns: map[net.Conn]bool{}}
	if configure != nil {
		configure(s)
	}
	if s.mechs == "" {
		s.mechs = "PLAIN LOGIN"
	}
	s.wg.Go(s.accept)
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "deskwatch test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}

func (s *smtpServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		})
	}
}

func (s *smtpServer) Messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

func (s *smtpServer) Commands() []smtpCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpCommand(nil), s.cmds...)
}

func (s *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	secure, user, mech := false, "", ""
	if s.implicit {
		tc := tls.Server(conn, s.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		conn, secure = tc, true
	}
	tp := textproto.NewConn(conn)
	var from string
	var rcpt []string
	reply := func(lines ...string) {
		for _, l := range lines {
			_ = tp.PrintfLine("%s", l)
		}
	}
	reply("220 test.local ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.cmds = append(s.cmds, smtpCommand{Line: line, TLS: secure})
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"250-test.local"}
			if !secure && !s.noSTARTTLS {
				ext = append(ext, "250-STARTTLS")
			}
			if secure || s.noSTARTTLS {
				ext = append(ext, "250-AUTH "+s.mechs)
			}
			reply(append(ext, "250 8BITMIME")...)
		case "STARTTLS":
			if secure || s.noSTARTTLS {
				reply("502 not now")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp, secure = tc, textproto.NewConn(tc), true
			user, mech, from, rcpt = "", "", "", nil
		case "AUTH":
			m, resp, _ := strings.Cut(arg, " ")
			m = strings.ToUpper(m)
			if !secure {
				reply("530 5.7.0 Must issue a STARTTLS command first")
				continue
			}
			if !strings.Contains(" "+s.mechs+" ", " "+m+" ") {
				reply("504 unsupported mechanism")
				continue
			}
			u, p, ok := s.authExchange(tp, m, resp)
			if !ok {
				return
			}
			if u != s.user || p != s.pass {
				reply("535 5.7.8 Authentication credentials invalid")
				continue
			}
			user, mech = u, m
			reply("235 2.7.0 Authentication successful")
		case "MAIL":
			if s.user != "" && user == "" {
				reply("530 5.7.0 Authentication required")
				continue
			}
			from, rcpt = addrArg(arg), nil
			reply("250 ok")
		case "RCPT":
			if from == "" {
				reply("503 need MAIL first")
				continue
			}
			rcpt = append(rcpt, addrArg(arg))
			reply("250 ok")
		case "DATA":
			if len(rcpt) == 0 {
				reply("503 need RCPT first")
				continue
			}
			if s.failData.Load() > 0 {
				s.failData.Add(-1)
				reply("451 4.3.0 try again later")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, smtpMessage{From: from, To: rcpt, Data: string(data), TLS: secure, User: user, Mech: mech})
			s.mu.Unlock()
			from, rcpt = "", nil
			reply("250 queued")
		case "RSET":
			from, rcpt = "", nil
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

// authExchange reads the credentials of AUTH PLAIN (initial response or
// after "334 ") or AUTH LOGIN (user name, then password, each prompted in
// base64 as real servers do); ok is false if the client went away.
func (s *smtpServer) authExchange(tp *textproto.Conn, mech, resp string) (user, pass string, ok bool) {
	decode := func(b64 string) string {
		raw, _ := base64.StdEncoding.DecodeString(b64) // garbage: wrong credentials
		return string(raw)
	}
	ask := func(prompt string) (string, bool) {
		if err := tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString([]byte(prompt))); err != nil {
			return "", false
		}
		line, err := tp.ReadLine()
		return decode(line), err == nil
	}
	if mech == "LOGIN" {
		user, ok = decode(resp), true // an initial response carries the user name
		if resp == "" {
			user, ok = ask("Username:")
		}
		if ok {
			pass, ok = ask("Password:")
		}
		return user, pass, ok
	}
	raw, ok := decode(resp), true
	if resp == "" {
		raw, ok = ask("")
	}
	if parts := strings.Split(raw, "\x00"); len(parts) == 3 {
		user, pass = parts[1], parts[2]
	}
	return user, pass, ok
}

// addrArg takes the address out of "FROM:<a@b> SIZE=1".
func addrArg(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a, _, _ = strings.Cut(strings.TrimSpace(a), " ")
	return strings.Trim(a, "<>")
}
