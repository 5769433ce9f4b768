package service

import (
	"context"
	"time"
)

// renderedTTL bounds how long a rendered submitted report is kept: it
// never changes, and a download after that renders it once more.
const renderedTTL = 30 * 24 * time.Hour

// Rendered returns a submitted report's file kept by KeepRendered; false
// when none is kept.
func (s *Service) Rendered(ctx context.Context, key string) ([]byte, bool, error) {
	b, ok, err := s.store.Rendered(ctx, key)
	return b, ok, classify(err)
}

// KeepRendered keeps a submitted report's rendered file, so that the next
// download of the same version, format and language renders nothing.
func (s *Service) KeepRendered(ctx context.Context, key string, b []byte) error {
	return classify(s.store.KeepRendered(ctx, key, b, renderedTTL))
}
