package registry

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"minerights/auction"
)

// ErrIdempotencyMismatch refuses a request whose Idempotency-Key was used
// before for a different request (another sale or another amount).
var ErrIdempotencyMismatch = errors.New("idempotency key reused for a different request")

// BidRequest is one bid as the bidder sent it.
type BidRequest struct {
	SaleID   int64
	BidderID int64
	Amount   int64
	// Raise, when positive instead of Amount, bids the least acceptable
	// amount plus Raise-1 increments, as the sale stands under the lock
	// (一键加价): the receipt states the amount.
	Raise int
	// Key is the Idempotency-Key; empty for none.
	Key   string
	Actor string
}

// Receipt is what an accepted bid gets back: the database's time of
// acceptance, the sequence number in the sale, the amount and the high it
// beat, and the countdown deadline it set.
type Receipt struct {
	SaleID       int64      `json:"sale_id"`
	Seq          int64      `json:"seq"`
	BidderID     int64      `json:"-"`
	Paddle       int        `json:"paddle"`
	Amount       int64      `json:"amount"`
	PreviousHigh int64      `json:"previous_high"`
	Phase        string     `json:"phase"`
	At           time.Time  `json:"at"`
	Deadline     *time.Time `json:"deadline"`
	Replaces     *int64     `json:"replaces"`
}

func requestHash(saleID, amount int64, raise int) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "bid:%d:%d:%d", saleID, amount, raise))
	return h[:]
}

// PlaceBid places a bid in one transaction: lock the sale row, read the
// database clock, look up the idempotency key, check the bid against the
// rules, append it with its audit entries, commit. A retry with the same key
// and body returns the first receipt and replayed = true; the same key with
// another body is ErrIdempotencyMismatch. A refused bid changes nothing.
func (s *Store) PlaceBid(ctx context.Context, r BidRequest) (rc Receipt, replayed bool, err error) {
	if (r.Amount > 0) == (r.Raise > 0) {
		return Receipt{}, false, &ValidationError{Field: "amount", Reason: "give either an amount in 元 or raise (a number of increments), not both"}
	}
	hash := requestHash(r.SaleID, r.Amount, r.Raise)
	var seq int64
	var evs []auction.Event
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var prior struct {
			found  bool
			saleID int64
			hash   []byte
			seq    int64
		}
		var extra func(*pgx.Batch) func(pgx.BatchResults) error
		if r.Key != "" {
			extra = func(b *pgx.Batch) func(pgx.BatchResults) error {
				b.Queue(`SELECT sale_id, request_hash, seq FROM bid_request WHERE bidder_id = $1 AND key = $2`, r.BidderID, r.Key)
				return func(br pgx.BatchResults) error {
					err := br.QueryRow().Scan(&prior.saleID, &prior.hash, &prior.seq)
					if errors.Is(err, pgx.ErrNoRows) {
						return nil
					}
					prior.found = err == nil
					return err
				}
			}
		}
		l, err := lockSale(ctx, tx, r.SaleID, extra)
		if err != nil {
			return err
		}
		if prior.found {
			if prior.saleID != r.SaleID || string(prior.hash) != string(hash) {
				return ErrIdempotencyMismatch
			}
			rc, err = findReceipt(ctx, tx, prior.saleID, prior.seq)
			replayed = true
			return err
		}
		amount := r.Amount
		if r.Raise > 0 {
			if l.m.Method == auction.MethodTender {
				return &ValidationError{Field: "raise", Reason: "a sealed tender bid states its amount"}
			}
			amount = l.m.MinNextBid() + int64(r.Raise-1)*l.m.Terms.Increment
		}
		var next auction.Sale
		next, evs, err = l.m.Bid(l.now, auction.Bid{Bidder: BidderKey(r.BidderID), Amount: amount})
		if err != nil {
			return err
		}
		for _, ev := range evs {
			switch e := ev.(type) {
			case auction.BidAccepted:
				rc = receiptOf(r.SaleID, r.BidderID, e.Bid, e.PreviousHigh, e.Deadline, 0)
			case auction.TenderBidReceived:
				rc = receiptOf(r.SaleID, r.BidderID, e.Bid, 0, time.Time{}, e.Replaces)
			}
		}
		seq, err = save(ctx, tx, l, next, evs, r.Actor, func(b *pgx.Batch, _ *chain) error {
			if r.Key != "" {
				b.Queue(`INSERT INTO bid_request (bidder_id, key, sale_id, request_hash, seq, created_at)
					VALUES ($1, $2, $3, $4, $5, $6)`, r.BidderID, r.Key, r.SaleID, hash, rc.Seq, l.now)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return Receipt{}, false, fmt.Errorf("registry: bid on sale %d: %w", r.SaleID, err)
	}
	if !replayed {
		s.notify(ctx, r.SaleID, seq, wakesScheduler(evs))
	}
	return rc, replayed, nil
}

func receiptOf(saleID, bidderID int64, b auction.Bid, prev int64, deadline time.Time, replaces uint64) Receipt {
	rc := Receipt{SaleID: saleID, Seq: int64(b.Seq), BidderID: bidderID, Paddle: b.Paddle, Amount: b.Amount,
		PreviousHigh: prev, Phase: string(b.Phase), At: b.At, Deadline: nullTime(deadline)}
	if replaces != 0 {
		r := int64(replaces)
		rc.Replaces = &r
	}
	return rc
}

const bidColumns = `sale_id, seq, bidder_id, paddle, amount_yuan, previous_high_yuan, phase, at, deadline, replaces`

func scanReceipt(row pgx.Row) (Receipt, error) {
	var rc Receipt
	err := row.Scan(&rc.SaleID, &rc.Seq, &rc.BidderID, &rc.Paddle, &rc.Amount, &rc.PreviousHigh, &rc.Phase, &rc.At, &rc.Deadline, &rc.Replaces)
	return rc, err
}

func findReceipt(ctx context.Context, tx pgx.Tx, saleID, seq int64) (Receipt, error) {
	return scanReceipt(tx.QueryRow(ctx, `SELECT `+bidColumns+` FROM bid WHERE sale_id = $1 AND seq = $2`, saleID, seq))
}

// Bids returns a sale's accepted bids in order: the receipts, with the
// bidder of each (BidderID) for the caller to hide as the reader requires.
func (s *Store) Bids(ctx context.Context, saleID int64) ([]Receipt, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+bidColumns+` FROM bid WHERE sale_id = $1 ORDER BY seq`, saleID)
	if err != nil {
		return nil, fmt.Errorf("registry: bids of sale %d: %w", saleID, err)
	}
	defer rows.Close()
	var out []Receipt
	for rows.Next() {
		rc, err := scanReceipt(rows)
		if err != nil {
			return nil, fmt.Errorf("registry: bids of sale %d: %w", saleID, err)
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}
