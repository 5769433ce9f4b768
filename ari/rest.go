package ari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	ariv5 "github.com/CyCoreSystems/ari/v5"
)

var (
	// ErrUnauthorized: Asterisk answered 401 (wrong ari.conf user or password).
	ErrUnauthorized = errors.New("ARI authentication failed (HTTP 401)")
	// ErrNotFound: Asterisk answered 404 (unknown AOR, technology or application).
	ErrNotFound = errors.New("not found on the PBX")
)

// maxBody bounds a REST reply; a PBX with ten thousand endpoints lists ~1 MB.
const maxBody = 16 << 20

// AORConfig reads a PJSIP AOR's dynamic configuration (attribute → value),
// e.g. "qualify_frequency" and "contact" (empty when nothing is registered).
// An unknown id gives an error wrapping ErrNotFound.
func (c *Client) AORConfig(ctx context.Context, id string) (map[string]string, error) {
	var tuples []ariv5.ConfigTuple
	path := "/asterisk/config/dynamic/res_pjsip/aor/" + url.PathEscape(id)
	if err := c.do(ctx, http.MethodGet, path, "", &tuples); err != nil {
		return nil, fmt.Errorf("AOR %q: %w", id, err)
	}
	m := make(map[string]string, len(tuples))
	for _, t := range tuples {
		m[t.Attribute] = t.Value
	}
	return m, nil
}

// subscribe asks for endpoint events of the whole technology. The colon is
// left unescaped, exactly as Asterisk documents and as recorded.
func (c *Client) subscribe(ctx context.Context) error {
	path := "/applications/" + url.PathEscape(c.opts.App) + "/subscription"
	query := "eventSource=endpoint:" + url.QueryEscape(c.opts.Technology)
	return c.do(ctx, http.MethodPost, path, query, nil)
}

// endpoints lists the technology's endpoints with their state (no contacts).
func (c *Client) endpoints(ctx context.Context) ([]ariv5.EndpointData, error) {
	var eps []ariv5.EndpointData
	err := c.do(ctx, http.MethodGet, "/endpoints/"+url.PathEscape(c.opts.Technology), "", &eps)
	return eps, err
}

// do sends one REST request with Basic auth and decodes a JSON reply into
// into (unless nil). Errors name the method and path, never the credentials.
func (c *Client) do(ctx context.Context, method, path, query string, into any) error {
	u := c.base + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.SetBasicAuth(c.opts.Username, c.opts.Password)
	req.Header.Set("Accept", "application/json")
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: reading reply: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%s %s: %w", method, path, ErrUnauthorized)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s %s: %w: %s", method, path, ErrNotFound, ariMessage(body))
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, ariMessage(body))
	}
	if into == nil {
		return nil
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%s %s: decoding reply: %w", method, path, err)
	}
	return nil
}

// ariMessage extracts Asterisk's {"message": "..."} error text, or a prefix of the body.
func ariMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	const max = 200
	if len(body) > max {
		body = body[:max]
	}
	return string(body)
}
