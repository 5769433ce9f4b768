package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SubmittedReport is a quarter's report frozen as submitted to the ministry.
type SubmittedReport struct {
	Version     int       `json:"version"`
	SubmittedAt time.Time `json:"submitted_at"`
	By          string    `json:"by"`
	Actor       string    `json:"actor,omitempty"` // the authenticated caller
	InputsHash  string    `json:"inputs_hash"`
	Report      []byte    `json:"report"` // the report as rendered to JSON
}

// SubmitReport appends a frozen version of the quarter's report and
// returns its version number (1, 2, …). Versions are never changed.
func (s *Store) SubmitReport(ctx context.Context, quarter string, r SubmittedReport) (int, error) {
	key := s.key("reports:" + quarter)
	// The version is the list's length after the push, decided by Redis
	// atomically; the record's own Version field is filled on read.
	b, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	n, err := s.rdb.RPush(ctx, key, b).Result()
	if err != nil {
		return 0, fmt.Errorf("store: submit report %s: %w", quarter, err)
	}
	return int(n), nil
}

// SubmittedReports lists a quarter's frozen versions, oldest first.
func (s *Store) SubmittedReports(ctx context.Context, quarter string) ([]SubmittedReport, error) {
	raw, err := s.rdb.LRange(ctx, s.key("reports:"+quarter), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: reports %s: %w", quarter, err)
	}
	out := make([]SubmittedReport, 0, len(raw))
	for i, r := range raw {
		var sr SubmittedReport
		if err := json.Unmarshal([]byte(r), &sr); err != nil {
			return nil, fmt.Errorf("store: report %s version %d: %w", quarter, i+1, err)
		}
		sr.Version = i + 1
		out = append(out, sr)
	}
	return out, nil
}
