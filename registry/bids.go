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
	// Arrived is when the request reached this process, by its monotonic
	// clock (time.Now()); zero means now. Its time by the database clock is
	// the clock_timestamp() read under the lock minus how long this process
	// held the bid before sending the lock statement (the wait for its turn,
	// a connection, the CPU). The bid is judged at that time, or at the
	// sale's last action when that is later, so that a bid which arrived
	// before the deadline stays timely however long it then waited. The
	// scheduler's close grace (Scheduler.Grace) bounds how late that may be.
	Arrived time.Time
}

// receivedAt is the database time of the bid's arrival: now, the database
// clock read under the lock, minus how long this process held the bid
// before it sent the lock statement at sent. Zero without an arrival.
func (r BidRequest) receivedAt(now, sent time.Time) time.Time {
	if r.Arrived.IsZero() {
		return time.Time{}
	}
	// Microseconds, as the database stores it, so that the receipt given
	// now and the one a retry reads back are the same.
	return now.Add(-max(0, sent.Sub(r.Arrived))).Truncate(time.Microsecond)
}

// judgedAt is the time a bid is judged at: its arrival (received) when it
// is earlier than now, the database clock under the lock, but never before
// the sale's last action, which the state machine refuses as a clock skew
// (a bid that arrived earlier but reached the lock after another is judged
// after it).
func judgedAt(received, now, last time.Time) time.Time {
	if received.IsZero() || !received.Before(now) {
		return now
	}
	if received.Before(last) {
		return last
	}
	return received
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

// bidKey is a bid's Idempotency-Key with the hash of the request it came
// with; the zero value is none.
type bidKey struct {
	key  string
	hash []byte
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
	var seq int64
	var evs []auction.Event
	rc, replayed, seq, evs, err = s.placeBid(ctx, conn, r)
	if err != nil {
		// A refusal or a failed statement leaves the transaction open (or
		// aborted): roll it back so the connection returns to the pool
		// clean. If even that fails the pool drops the connection.
		if conn.Conn().PgConn().TxStatus() != 'I' {
			_, _ = conn.Exec(context.WithoutCancel(ctx), `ROLLBACK`)
		}
		conn.Release()
		return Receipt{}, false, fmt.Errorf("registry: bid on sale %d: %w", r.SaleID, mapErr(err))
	}
	// The connection goes back before the notification, which may take one
	// of its own (see notify).
	conn.Release()
	if !replayed {
		s.notify(ctx, r.SaleID, seq, wakesScheduler(evs))
	}
	return rc, replayed, nil
}

// recentBid is one of a bidder's latest bids in a sale.
type recentBid struct {
	seq int64
	at  time.Time
}

// priorBid is the bid an Idempotency-Key already stands for, if any.
type priorBid struct {
	found bool
	rc    Receipt
	hash  []byte
}

func (s *Store) placeBid(ctx context.Context, conn *pgxpool.Conn, r BidRequest) (rc Receipt, replayed bool, seq int64, evs []auction.Event, err error) {
	hash := requestHash(r.SaleID, r.Amount, r.Raise)
	l, prior, recent, sent, err := s.lockForBid(ctx, conn, r)
	if err != nil {
		return rc, false, 0, nil, err
	}
	if prior.found {
		if prior.rc.SaleID != r.SaleID || string(prior.hash) != string(hash) {
			return rc, false, 0, nil, ErrIdempotencyMismatch
		}
		_, err = conn.Exec(ctx, `COMMIT`)
		return prior.rc, true, 0, nil, err
	}
	if n := l.base.Rules.BidRate.Bids; n > recentBidsPrefetch {
		if recent, err = scanRecent(conn.Query(ctx, recentBidsSQL, r.SaleID, r.BidderID, n)); err != nil {
			return rc, false, 0, nil, err
		}
	}
	next, evs, err := decideBid(l, r, recent, sent)
	plain := err == nil && plainBid(l.m, next, evs)
	if err == nil && !plain && !l.full {
		// The bid also moves the sale on (or is a tender's): it writes the
		// whole state, so decide again on the complete one.
		if err := l.complete(ctx, conn); err != nil {
			return rc, false, 0, nil, err
		}
		next, evs, err = decideBid(l, r, recent, sent)
	}
	if err != nil {
		return rc, false, 0, nil, err
	}
	rc = receiptFrom(r, evs)
	if r.Key != "" {
		l.key = bidKey{key: r.Key, hash: hash}
	}
	w := &pgx.Batch{}
	if plain {
		seq, err = queuePlainBid(w, l, next, evs, r.Actor)
	} else {
		seq, err = queueSave(w, l, next, evs, r.Actor, nil)
	}
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

// lockForBid is the bid's first round trip: BEGIN, the sale row lock and
// the database clock, the bid an Idempotency-Key already stands for, and
// the bidder's latest bids. sent is when it left, by this process's clock.
func (s *Store) lockForBid(ctx context.Context, conn *pgxpool.Conn, r BidRequest) (l *locked, prior priorBid, recent []recentBid, sent time.Time, err error) {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	read := s.queueLock(b, r.SaleID, false, func(b *pgx.Batch) func(pgx.BatchResults) error {
		if r.Key != "" {
			// The key is the bidder's for a bid in this sale (015): the
			// lookup stays on the sale's rows, one shard on Citus.
			b.Queue(`SELECT `+bidColumns+`, request_hash FROM bid WHERE sale_id = $3 AND bidder_id = $1 AND idempotency_key = $2`, r.BidderID, r.Key, r.SaleID)
		}
		b.Queue(recentBidsSQL, r.SaleID, r.BidderID, recentBidsPrefetch)
		return func(br pgx.BatchResults) error {
			if r.Key != "" {
				err := scanReceiptInto(br.QueryRow(), &prior.rc, &prior.hash)
				if err != nil && !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
				prior.found = err == nil
			}
			var err error
			recent, err = scanRecent(br.Query())
			return err
		}
	})
	sent = time.Now()
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		l, err = read(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return l, prior, recent, sent, err
}

// decideBid applies the bid to the locked sale: the bidder's rate window
// and quote from its latest bids, the amount in 元 (a raise counts
// increments above the minimum), at the time the rules judge it.
func decideBid(l *locked, r BidRequest, recent []recentBid, sent time.Time) (auction.Sale, []auction.Event, error) {
	bidder := BidderKey(r.BidderID)
	if p := participantIndex(l.m, bidder); p >= 0 {
		ts := make([]time.Time, len(recent))
		for i, rb := range recent {
			ts[i] = rb.at
			// A bid since the machine is a quote the machine does not
			// show yet (Participant.Quoted).
			if rb.seq > int64(l.base.BidCount) {
				l.m.Participants[p].Quoted = true
			}
		}
		l.m.Participants[p].Recent = ts
	}
	amount := r.Amount
	if r.Raise > 0 {
		if l.m.Method == auction.MethodTender {
			return l.m, nil, &ValidationError{Field: "raise", Reason: "a sealed tender bid states its amount"}
		}
		amount = l.m.MinNextBid() + int64(r.Raise-1)*l.m.Terms.Increment
	}
	return l.m.Bid(judgedAt(r.receivedAt(l.now, sent), l.now, l.m.LastAction), auction.Bid{Bidder: bidder, Amount: amount})
}

// receiptFrom is the receipt of the bid among evs.
func receiptFrom(r BidRequest, evs []auction.Event) Receipt {
	var rc Receipt
	for _, ev := range evs {
		switch e := ev.(type) {
		case auction.BidAccepted:
			rc = receiptOf(r.SaleID, r.BidderID, e.Bid, e.PreviousHigh, e.Deadline, 0)
		case auction.TenderBidReceived:
			rc = receiptOf(r.SaleID, r.BidderID, e.Bid, 0, time.Time{}, e.Replaces)
		}
	}
	return rc
}

// queuePlainBid queues the writes of a plain bid: its audit entries and bid
// row, and the sale row's projections, leaving the machine as it is (see
// machine.go).
func queuePlainBid(b *pgx.Batch, l *locked, next auction.Sale, evs []auction.Event, actor string) (int64, error) {
	c, err := queueEvents(b, l, evs, actor, nil)
	if err != nil {
		return 0, err
	}
	h := next.High
	b.Queue(`UPDATE sale SET bid_count = $2, high_bidder_id = $3, high_paddle = $4, high_yuan = $5, high_at = $6,
			high_phase = $7, high_deadline = $8, closes_at = $9, audit_seq = $10, audit_head = $11, updated_at = $12
		WHERE id = $1`, l.id, next.BidCount, mustBidderID(h.Bidder), h.Paddle, h.Amount, h.At, string(h.Phase),
		nullTime(next.Deadline), closesAt(next), c.seq, c.head, l.now)
	return c.seq, nil
}

// mustBidderID is the bidder id of a key the registry made.
func mustBidderID(k string) int64 {
	id, _ := ParseBidderKey(k)
	return id
}

func scanRecent(rows pgx.Rows, err error) ([]recentBid, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (recentBid, error) {
		var rb recentBid
		err := row.Scan(&rb.seq, &rb.at)
		return rb, err
	})
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
	recentBidsSQL      = `SELECT seq, at FROM (
		SELECT seq, at FROM bid WHERE sale_id = $1 AND bidder_id = $2 ORDER BY seq DESC LIMIT $3) r ORDER BY seq`
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
	err := scanReceiptInto(row, &rc)
	return rc, err
}

// scanReceiptInto reads bidColumns, and more columns after them into more.
func scanReceiptInto(row pgx.Row, rc *Receipt, more ...any) error {
	return row.Scan(append([]any{&rc.SaleID, &rc.Seq, &rc.BidderID, &rc.Paddle, &rc.Amount, &rc.PreviousHigh, &rc.Phase, &rc.At, &rc.Deadline, &rc.Replaces}, more...)...)
}

// Bids returns a sale's accepted bids in order: the receipts, with the
// bidder of each (BidderID) for the caller to hide as the reader requires.
func (s *Store) Bids(ctx context.Context, saleID int64) ([]Receipt, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT `+bidColumns+` FROM bid WHERE sale_id = $1 ORDER BY seq`, saleID)
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

func queueBid(b *pgx.Batch, saleID int64, bid auction.Bid, prev int64, deadline time.Time, replaces uint64, key bidKey) {
	var rep *int64
	if replaces != 0 {
		r := int64(replaces)
		rep = &r
	}
	b.Queue(`INSERT INTO bid (sale_id, seq, bidder_id, paddle, amount_yuan, previous_high_yuan, phase, at, deadline, replaces,
			idempotency_key, request_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		saleID, int64(bid.Seq), mustBidderID(bid.Bidder), bid.Paddle, bid.Amount, prev, string(bid.Phase), bid.At, nullTime(deadline), rep,
		nullString(key.key), key.hash)
}
