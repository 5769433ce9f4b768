package ari

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"deskwatch/health"
)

const (
	aorReaders = 8                // concurrent AOR reads: 200 desks in well under a second
	aorTimeout = 10 * time.Second // one read; a hung REST call must not hold the events back
)

// contacts reads each endpoint's AOR of ids (named like the endpoint's
// resource, the usual layout) and emits every contact it lists as
// AORContact: the snapshot names no contacts, and a phone registered before
// we connected sends no event that would. A failed read is skipped: the
// events still name contacts as they change, and the qualify check reports
// missing AORs.
func (c *Client) contacts(ctx context.Context, out chan<- health.Observation, ids []string) error {
	if c.opts.Technology != "PJSIP" {
		return nil // AORs are res_pjsip's
	}
	at := c.now()
	values := make([]string, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, aorReaders)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rctx, cancel := context.WithTimeout(ctx, aorTimeout)
			defer cancel()
			m, err := c.AORConfig(rctx, strings.TrimPrefix(id, c.opts.Technology+"/"))
			values[i], errs[i] = m["contact"], err
		})
	}
	wg.Wait()
	failed := 0
	for i, id := range ids {
		if err := errs[i]; err != nil {
			if !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
				failed++
				c.log.Debug().Err(err).Str("endpoint", id).Msg("AOR not read")
			}
			continue
		}
		for _, uri := range aorContacts(values[i]) {
			o := health.Observation{Endpoint: id, Source: health.SourceARI, Kind: health.KindAORContact, At: at,
				Contact: uri, Detail: "AOR contact"}
			if err := c.emit(ctx, out, o); err != nil {
				return err
			}
		}
	}
	if failed > 0 {
		c.log.Warn().Int("failed", failed).Int("endpoints", len(ids)).
			Msg("could not read some AORs' contacts; events will name them when they change")
	}
	return nil
}

// aorContacts splits an AOR's contact attribute: Asterisk joins the
// contacts of an AOR with max_contacts > 1 with commas.
func aorContacts(v string) []string {
	var out []string
	for c := range strings.SplitSeq(v, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
