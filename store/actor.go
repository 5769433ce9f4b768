package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"deskwatch/health"
)

// The audit trail keeps two names for each change: by, as the person gave
// it (free text), and actor, who was authenticated (an API token's name,
// "cli:" and the OS user). Only the actor can be trusted.

// AddManualAs is AddManual with the authenticated actor in the audit record.
func (s *Store) AddManualAs(ctx context.Context, sp health.Span, by, actor string, at time.Time) (health.Span, error) {
	if err := checkActor(actor); err != nil {
		return health.Span{}, err
	}
	return s.addManual(ctx, sp, by, actor, at)
}

// RevokeExclusionAs is RevokeExclusion with the authenticated actor in the
// audit record.
func (s *Store) RevokeExclusionAs(ctx context.Context, id, by, actor string, at time.Time) (health.Span, error) {
	if err := checkActor(actor); err != nil {
		return health.Span{}, err
	}
	return s.revokeExclusion(ctx, id, by, actor, at)
}

// checkActor accepts an empty actor (callers that know none) or one line of
// at most 200 characters.
func checkActor(actor string) error {
	if utf8.RuneCountInString(actor) > 200 || strings.ContainsAny(actor, "\r\n") || !utf8.ValidString(actor) {
		return &ValidationError{"actor", "want one line of at most 200 characters"}
	}
	return nil
}
