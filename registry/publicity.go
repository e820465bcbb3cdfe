package registry

import (
	"context"
	"minerights/auction"
	"strings"
	"time"
)

// IssueConfirmation records the confirmation letter (成交确认书).
func (s *Store) IssueConfirmation(ctx context.Context, id int64, cal auction.Calendar, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "issue confirmation", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.IssueConfirmation(now, cal)
	})
}

// StartPublicity starts the result publicity (公示).
func (s *Store) StartPublicity(ctx context.Context, id int64, cal auction.Calendar, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "start publicity", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.StartPublicity(now, cal)
	})
}

// FileObjection records an objection during the publicity.
func (s *Store) FileObjection(ctx context.Context, id int64, by, text, actor string) (Sale, error) {
	if strings.TrimSpace(text) == "" {
		return Sale{}, &ValidationError{Field: "text", Reason: "the objection's text is required"}
	}
	return s.act(ctx, id, actor, "file objection", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.FileObjection(now, by, text)
	})
}

// ResolveObjection records the bureau's answer to an objection.
func (s *Store) ResolveObjection(ctx context.Context, id int64, seq int, outcome, actor string) (Sale, error) {
	if strings.TrimSpace(outcome) == "" {
		return Sale{}, &ValidationError{Field: "outcome", Reason: "the bureau's answer is required"}
	}
	return s.act(ctx, id, actor, "resolve objection", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.ResolveObjection(now, seq, outcome)
	})
}
