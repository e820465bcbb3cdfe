package registry

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
//
// The transaction is two round trips: BEGIN travels with the lock and the
// reads, COMMIT with the writes, so the row lock is held for one round trip
// and the decision in between (a hot sale's bids queue on that lock).
func (s *Store) PlaceBid(ctx context.Context, r BidRequest) (rc Receipt, replayed bool, err error) {
	if (r.Amount > 0) == (r.Raise > 0) {
		return Receipt{}, false, &ValidationError{Field: "amount", Reason: "give either an amount in 元 or raise (a number of increments), not both"}
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return Receipt{}, false, fmt.Errorf("registry: bid on sale %d: %w", r.SaleID, mapErr(err))
	}
	defer conn.Release()
	var seq int64
	var evs []auction.Event
	rc, replayed, seq, evs, err = placeBid(ctx, conn, r)
	if err != nil {
		// A refusal or a failed statement leaves the transaction open (or
		// aborted): roll it back so the connection returns to the pool
		// clean. If even that fails the pool drops the connection.
		if conn.Conn().PgConn().TxStatus() != 'I' {
			_, _ = conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`)
		}
		return Receipt{}, false, fmt.Errorf("registry: bid on sale %d: %w", r.SaleID, mapErr(err))
	}
	if !replayed {
		s.notify(ctx, r.SaleID, seq, wakesScheduler(evs))
	}
	return rc, replayed, nil
}

func placeBid(ctx context.Context, conn *pgxpool.Conn, r BidRequest) (rc Receipt, replayed bool, seq int64, evs []auction.Event, err error) {
	hash := requestHash(r.SaleID, r.Amount, r.Raise)
	var prior struct {
		found  bool
		saleID int64
		hash   []byte
		seq    int64
	}
	var recent []time.Time
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	read := queueLock(b, r.SaleID, func(b *pgx.Batch) func(pgx.BatchResults) error {
		if r.Key != "" {
			b.Queue(`SELECT sale_id, request_hash, seq FROM bid_request WHERE bidder_id = $1 AND key = $2`, r.BidderID, r.Key)
		}
		b.Queue(recentBidsSQL, r.SaleID, r.BidderID, recentBidsPrefetch)
		return func(br pgx.BatchResults) error {
			if r.Key != "" {
				err := br.QueryRow().Scan(&prior.saleID, &prior.hash, &prior.seq)
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
				prior.found = err == nil
			}
			return br.QueryRow().Scan(&recent)
		}
	})
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	var l *locked
	if err == nil {
		l, err = read(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rc, false, 0, nil, err
	}

	if prior.found {
		if prior.saleID != r.SaleID || string(prior.hash) != string(hash) {
			return rc, false, 0, nil, ErrIdempotencyMismatch
		}
		rc, err = scanReceipt(conn.QueryRow(ctx, `SELECT `+bidColumns+` FROM bid WHERE sale_id = $1 AND seq = $2`, prior.saleID, prior.seq))
		if err != nil {
			return rc, false, 0, nil, err
		}
		_, err = conn.Exec(ctx, `COMMIT`)
		return rc, true, 0, nil, err
	}
	amount := r.Amount
	if r.Raise > 0 {
		if l.m.Method == auction.MethodTender {
			return rc, false, 0, nil, &ValidationError{Field: "raise", Reason: "a sealed tender bid states its amount"}
		}
		amount = l.m.MinNextBid() + int64(r.Raise-1)*l.m.Terms.Increment
	}
	if n := l.m.Rules.BidRate.Bids; n > recentBidsPrefetch {
		if err := conn.QueryRow(ctx, recentBidsSQL, r.SaleID, r.BidderID, n).Scan(&recent); err != nil {
			return rc, false, 0, nil, err
		}
	}
	if p := participantIndex(l.m, BidderKey(r.BidderID)); p >= 0 {
		l.m.Participants[p].Recent = recent
	}
	next, evs, err := l.m.Bid(l.now, auction.Bid{Bidder: BidderKey(r.BidderID), Amount: amount})
	if err != nil {
		return rc, false, 0, nil, err
	}
	for _, ev := range evs {
		switch e := ev.(type) {
		case auction.BidAccepted:
			rc = receiptOf(r.SaleID, r.BidderID, e.Bid, e.PreviousHigh, e.Deadline, 0)
		case auction.TenderBidReceived:
			rc = receiptOf(r.SaleID, r.BidderID, e.Bid, 0, time.Time{}, e.Replaces)
		}
	}
	w := &pgx.Batch{}
	seq, err = queueSave(w, l, next, evs, r.Actor, func(b *pgx.Batch, _ *chain) error {
		if r.Key != "" {
			b.Queue(`INSERT INTO bid_request (bidder_id, key, sale_id, request_hash, seq, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, r.BidderID, r.Key, r.SaleID, hash, rc.Seq, l.now)
		}
		return nil
	})
	if err != nil {
		return rc, false, 0, nil, err
	}
	w.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, w).Close(); err != nil {
		return rc, false, 0, nil, err
	}
	// A COMMIT of a transaction that failed on the way reports success and
	// rolls back; the batch stops at the first error, but make sure.
	if st := conn.Conn().PgConn().TxStatus(); st != 'I' {
		return rc, false, 0, nil, fmt.Errorf("transaction still open after commit (status %c)", st)
	}
	return rc, false, seq, evs, nil
}

// The stored state machine keeps no rate-limit windows (see save): the
// times of a bidder's latest accepted bids are read back from the bid table,
// which holds every accepted bid with the database time the machine stamped
// on it, in the lock's round trip and after the lock, so they are exactly the
// Participant.Recent the machine would have kept. recentBidsPrefetch covers
// the usual Rules.BidRate.Bids; a sale with a larger count costs one more
// query.
const (
	recentBidsPrefetch = 16
	recentBidsSQL      = `SELECT coalesce(array_agg(at ORDER BY seq), '{}') FROM (
		SELECT seq, at FROM bid WHERE sale_id = $1 AND bidder_id = $2 ORDER BY seq DESC LIMIT $3) r`
)

func participantIndex(m auction.Sale, bidder string) int {
	for i := range m.Participants {
		if m.Participants[i].Bidder == bidder {
			return i
		}
	}
	return -1
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
