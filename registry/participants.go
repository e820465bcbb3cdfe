package registry

import (
	"context"
	"fmt"
	"minerights/auction"
	"time"

	"github.com/jackc/pgx/v5"
)

// Apply registers a bidder's application and assigns a paddle number.
func (s *Store) Apply(ctx context.Context, id, bidderID int64, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "apply", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Apply(now, BidderKey(bidderID))
	})
}

// RecordDeposit records a deposit payment the bureau has seen arrive from
// the bidder's own account.
func (s *Store) RecordDeposit(ctx context.Context, id, bidderID, amount int64, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "record deposit", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.RecordDeposit(now, BidderKey(bidderID), amount)
	})
}

// Qualify records the bureau's qualification review: approve, or refuse
// with a reason.
func (s *Store) Qualify(ctx context.Context, id, bidderID int64, approve bool, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "qualify", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		if approve {
			return m.Qualify(now, BidderKey(bidderID))
		}
		return m.Disqualify(now, BidderKey(bidderID), reason)
	})
}

// DepositEntry is one line of the deposit ledger.
type DepositEntry struct {
	BidderID int64     `json:"bidder_id"`
	Kind     string    `json:"kind"`
	Amount   int64     `json:"amount"`
	At       time.Time `json:"at"`
}

// Deposits returns the deposit ledger of a sale, of one bidder when
// bidderID is non-zero.
func (s *Store) Deposits(ctx context.Context, id, bidderID int64) ([]DepositEntry, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT bidder_id, kind, amount_yuan, at FROM deposit_entry
		WHERE sale_id = $1 AND ($2 = 0 OR bidder_id = $2) ORDER BY id`, id, bidderID)
	if err != nil {
		return nil, fmt.Errorf("registry: deposits of sale %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DepositEntry])
	if err != nil {
		return nil, fmt.Errorf("registry: deposits of sale %d: %w", id, err)
	}
	return out, nil
}
