package sipua

import (
	"fmt"
	"net"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// ParseContact reads a contact URI and the transport it asks for: sips: or
// ;transport=tls → TLS, ;transport=tcp → TCP, else UDP.
func ParseContact(contact string) (sip.Uri, string, error) {
	var u sip.Uri
	s := strings.TrimSpace(contact)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if err := sip.ParseUri(s, &u); err != nil {
		return u, "", fmt.Errorf("sipprobe: bad contact URI %q: %w", contact, err)
	}
	if u.Scheme != "sip" && u.Scheme != "sips" {
		return u, "", fmt.Errorf("sipprobe: contact URI %q: scheme must be sip or sips", contact)
	}
	if u.Host == "" {
		return u, "", fmt.Errorf("sipprobe: contact URI %q has no host", contact)
	}
	tp := "UDP"
	if v, ok := u.UriParams.Get("transport"); ok {
		tp = strings.ToUpper(v)
	}
	if u.Scheme == "sips" && (tp == "UDP" || tp == "TCP") {
		tp = "TLS" // sipgo would send sips: without ;transport over UDP
	}
	switch tp {
	case "UDP", "TCP", "TLS":
	default:
		return u, "", fmt.Errorf("sipprobe: contact URI %q: transport %s not supported (udp, tcp, tls)", contact, tp)
	}
	return u, tp, nil
}

// LocalIPFor returns the local address the kernel would use to reach host
// (no packet is sent), for the Via and Contact of a user agent listening on
// all interfaces. "" when host is not an IP or has no route.
func LocalIPFor(host string) string {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return ""
	}
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: ip, Port: 5060})
	if err != nil {
		return ""
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}
