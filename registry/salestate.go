package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"minerights/auction"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// locked is a sale row held with FOR UPDATE, with the database clock read
// after the lock was granted.
type locked struct {
	id       int64
	parcelID int64
	round    int
	// base is the stored machine (shared through the cache: never change
	// it); m is base with the bids since laid over, the state to act on.
	base auction.Sale
	m    auction.Sale
	// full is set when m holds every participant's bid counters; a plain
	// bid reads only its own bidder's (see complete).
	full bool
	last *lastBid
	seq  int64
	head []byte
	now  time.Time
	// key is the Idempotency-Key of a bid being placed, stored on its row.
	key bidKey
}

// lockSale takes the sale row lock and then reads clock_timestamp(): now()
// is the transaction's start, which under contention would be earlier than
// the time of the bid that held the lock before us. extra queues more reads
// into the same round trip; they run after the lock is granted.
func (s *Store) lockSale(ctx context.Context, tx pgx.Tx, id int64, extra func(*pgx.Batch) func(pgx.BatchResults) error) (*locked, error) {
	b := &pgx.Batch{}
	read := s.queueLock(b, id, true, extra)
	br := tx.SendBatch(ctx, b)
	l, err := read(br)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// queueLock queues lockSale's statements into b (after whatever b already
// holds, such as a BEGIN) and returns the reader of their results. The
// machine travels only when this process has not decoded it under its
// current tag. The latest bid comes from the sale row; full also reads
// every bidder's counters since the machine, which a plain bid does without
// (see complete).
func (s *Store) queueLock(b *pgx.Batch, id int64, full bool, extra func(*pgx.Batch) func(pgx.BatchResults) error) func(pgx.BatchResults) (*locked, error) {
	cached, cachedBase := s.machines.get(id)
	b.Queue(`SELECT parcel_id, round, machine_tag, CASE WHEN machine_tag = $2 THEN NULL ELSE machine::text END,
		audit_seq, audit_head, `+highColumns+` FROM sale WHERE id = $1 FOR UPDATE`, id, cached)
	b.Queue(`SELECT clock_timestamp()`)
	if full {
		b.Queue(countsQuery, id)
	}
	var read func(pgx.BatchResults) error
	if extra != nil {
		read = extra(b)
	}
	return func(br pgx.BatchResults) (*locked, error) {
		l := &locked{id: id, full: full}
		var raw, counts *string
		var tag, seq int64
		var bidder, amount *int64
		var paddle *int
		var at, deadline *time.Time
		var phase *string
		err := br.QueryRow().Scan(&l.parcelID, &l.round, &tag, &raw, &l.seq, &l.head, &seq, &bidder, &paddle, &amount, &at, &phase, &deadline)
		if err == nil {
			err = br.QueryRow().Scan(&l.now)
		}
		if err == nil && full {
			err = br.QueryRow().Scan(&counts)
		}
		if err == nil && read != nil {
			err = read(br)
		}
		if err != nil {
			return nil, err
		}
		if raw == nil { // the tag is the one cached when the statement was queued
			l.base = cachedBase
		} else {
			if err := json.Unmarshal([]byte(*raw), &l.base); err != nil {
				return nil, fmt.Errorf("sale %d: decode state: %w", id, err)
			}
			s.machines.put(id, tag, l.base, len(*raw))
		}
		o := overlay{Last: scanHigh(seq, bidder, paddle, amount, at, phase, deadline)}
		if o.Counts, err = decodeCounts(counts); err != nil {
			return nil, fmt.Errorf("sale %d: %w", id, err)
		}
		l.last = o.Last
		l.m = withOverlay(l.base, o)
		return l, nil
	}
}

// complete reads every bidder's counters since the machine into l.m, for a
// bid that turned out not to be plain and writes the whole state.
func (l *locked) complete(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) error {
	if l.full {
		return nil
	}
	var raw *string
	if err := q.QueryRow(ctx, countsQuery, l.id).Scan(&raw); err != nil {
		return err
	}
	counts, err := decodeCounts(raw)
	if err != nil {
		return err
	}
	l.m, l.full = withOverlay(l.base, overlay{Last: l.last, Counts: counts}), true
	return nil
}

// withoutRateWindows drops the participants' rate-limit windows
// (Participant.Recent) from the state to store: PlaceBid derives them from
// the bid table, and with many bidders they were most of every bid's write
// (34 KB of JSON per bid with 64 bidders, parsed, toasted and WAL-logged
// under the row lock).
func withoutRateWindows(m auction.Sale) auction.Sale {
	strip := false
	for i := range m.Participants {
		if m.Participants[i].Recent != nil {
			strip = true
			break
		}
	}
	if !strip {
		return m
	}
	ps := slices.Clone(m.Participants)
	for i := range ps {
		ps[i].Recent = nil
	}
	m.Participants = ps
	return m
}

// save stores the next state, appends the events to the sale's chain,
// projects them into the relational tables and keeps the parcel's status in
// step, in one round trip. extra queues more writes into it.
func save(ctx context.Context, tx pgx.Tx, l *locked, next auction.Sale, evs []auction.Event, actor string, extra func(*pgx.Batch, *chain) error) (int64, error) {
	b := &pgx.Batch{}
	seq, err := queueSave(b, l, next, evs, actor, extra)
	if err != nil {
		return 0, err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, err
	}
	return seq, nil
}

// queueSave queues save's statements into b and returns the sale's new
// audit sequence.
func queueSave(b *pgx.Batch, l *locked, next auction.Sale, evs []auction.Event, actor string, extra func(*pgx.Batch, *chain) error) (int64, error) {
	c, err := queueEvents(b, l, evs, actor, extra)
	if err != nil {
		return 0, err
	}
	machine, err := json.Marshal(withoutRateWindows(next))
	if err != nil {
		return 0, err
	}
	var deadline *time.Time
	if t, ok := next.NextDeadline(); ok {
		deadline = &t
	}
	closes := closesAt(next)
	var high *int64
	if next.High.Seq != 0 { // a tender's high stays empty until the opening
		high = &next.High.Amount
	}
	var price, winner *int64
	var paddle *int
	if next.State.Sold() || next.State == auction.StateDefaulted {
		price = &next.High.Amount
		if id, ok := ParseBidderKey(next.High.Bidder); ok {
			winner = &id
		}
		paddle = &next.High.Paddle
	}
	b.Queue(`UPDATE sale SET machine = $2::json, state = $3, next_deadline = $4, closes_at = $5,
			announced_at = $6, closed_at = $7, high_yuan = $8, bid_count = $9, machine_bid_count = $9, price_yuan = $10,
			winner_bidder_id = $11, winner_paddle = $12, reserve_commitment = $13,
			audit_seq = $14, audit_head = $15, updated_at = $16, machine_tag = $17,
			high_bidder_id = NULL, high_paddle = NULL, high_at = NULL, high_phase = NULL, high_deadline = NULL
		WHERE id = $1`,
		l.id, string(machine), string(next.State), deadline, closes, nullTime(next.AnnouncedAt), nullTime(next.ClosedAt),
		high, next.BidCount, price, winner, paddle, nullString(next.Reserve.Commitment), c.seq, c.head, l.now, newMachineTag())
	if next.State != l.m.State {
		if st := parcelStatus(next.State); st != "" {
			b.Queue(`UPDATE parcel SET status = $2, updated_at = now() WHERE id = $1 AND status <> $2`, l.parcelID, st)
		}
	}
	return c.seq, nil
}

// closesAt is when bidding is due to close as the map shows it: the
// countdown, else the announced end of the listing or the tender.
func closesAt(m auction.Sale) *time.Time {
	switch {
	case !m.Deadline.IsZero():
		return &m.Deadline
	case !m.Windows.BiddingEnd.IsZero() && !m.State.Closed():
		return &m.Windows.BiddingEnd
	}
	return nil
}

// queueEvents queues the events' audit entries (one statement) and their
// projections, with extra's writes, and returns the advanced chain.
func queueEvents(b *pgx.Batch, l *locked, evs []auction.Event, actor string, extra func(*pgx.Batch, *chain) error) (*chain, error) {
	c := &chain{saleID: l.id, seq: l.seq, head: l.head, now: l.now, actor: actor}
	for _, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		if err := c.add(ev.Kind(), ev.Time(), data); err != nil {
			return nil, err
		}
		project(b, l.id, ev, l.key)
	}
	if extra != nil {
		if err := extra(b, c); err != nil {
			return nil, err
		}
	}
	c.queue(b)
	return c, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// parcelStatus is the parcel status a sale state implies; "" leaves it as it
// is (a suspension changes nothing the map shows).
func parcelStatus(st auction.State) string {
	switch st {
	case auction.StateDraft, auction.StateTerminated:
		return StatusRegistered
	case auction.StateAnnounced, auction.StateApplying:
		return StatusAnnounced
	case auction.StateListing, auction.StateTimedBidding, auction.StateAuctionLive, auction.StateTenderOpen:
		return StatusInSale
	case auction.StateClosedSold, auction.StateConfirmed, auction.StatePublicity, auction.StateContracted:
		return StatusSold
	case auction.StateFailed, auction.StateDefaulted:
		return StatusFailed
	}
	return ""
}

// project writes what an event means into the relational tables.
func project(b *pgx.Batch, saleID int64, ev auction.Event, key bidKey) {
	switch e := ev.(type) {
	case auction.BidderApplied:
		b.Queue(`INSERT INTO sale_participant (sale_id, bidder_id, paddle, applied_at) VALUES ($1, $2, $3, $4)`,
			saleID, mustBidderID(e.Bidder), e.Paddle, e.At)
	case auction.BidderQualified:
		b.Queue(`UPDATE sale_participant SET qualified = true, rejection = NULL WHERE sale_id = $1 AND bidder_id = $2`, saleID, mustBidderID(e.Bidder))
	case auction.BidderDisqualified:
		b.Queue(`UPDATE sale_participant SET qualified = false, rejection = $3 WHERE sale_id = $1 AND bidder_id = $2`, saleID, mustBidderID(e.Bidder), e.Reason)
	case auction.DepositRecorded:
		b.Queue(`INSERT INTO deposit_entry (sale_id, bidder_id, kind, amount_yuan, at) VALUES ($1, $2, 'payment', $3, $4)`,
			saleID, mustBidderID(e.Bidder), e.Amount, e.At)
	case auction.DepositsReleased:
		for _, r := range e.Refunds {
			b.Queue(`INSERT INTO deposit_entry (sale_id, bidder_id, kind, amount_yuan, at) VALUES ($1, $2, 'refund', $3, $4)`,
				saleID, mustBidderID(r.Bidder), r.Amount, e.At)
		}
	case auction.WinnerDefaulted:
		if e.Forfeited > 0 {
			b.Queue(`INSERT INTO deposit_entry (sale_id, bidder_id, kind, amount_yuan, at) VALUES ($1, $2, 'forfeit', $3, $4)`,
				saleID, mustBidderID(e.Bidder), e.Forfeited, e.At)
		}
	case auction.ContractSigned:
		if e.DepositCredited > 0 {
			b.Queue(`INSERT INTO deposit_entry (sale_id, bidder_id, kind, amount_yuan, at) VALUES ($1, $2, 'credit', $3, $4)`,
				saleID, mustBidderID(e.Winner.Bidder), e.DepositCredited, e.At)
		}
	case auction.BidAccepted:
		queueBid(b, saleID, e.Bid, e.PreviousHigh, e.Deadline, 0, key)
	case auction.TenderBidReceived:
		queueBid(b, saleID, e.Bid, 0, time.Time{}, e.Replaces, key)
	}
}

// wakesScheduler reports whether events may bring a deadline forward; bids
// only push the countdown later.
func wakesScheduler(evs []auction.Event) bool {
	for _, ev := range evs {
		switch ev.(type) {
		case auction.BidAccepted, auction.CountdownRestarted, auction.TenderBidReceived:
		default:
			return true
		}
	}
	return false
}

// transition runs one change of one sale: lock, read the database clock,
// apply fn to the state machine, save, commit, notify.
func (s *Store) transition(ctx context.Context, id int64, actor string,
	fn func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error),
	extra func(tx pgx.Tx, l *locked, next auction.Sale, b *pgx.Batch, c *chain) error,
) (auction.Sale, []auction.Event, error) {
	return s.transitionThen(ctx, id, actor, fn, extra, nil)
}

// transitionThen is transition with then run in the transaction after the
// save and before the commit: what the caller answers with is read there,
// so that an answer which cannot be read fails the change with it, rather
// than reporting an error for a change that was committed.
func (s *Store) transitionThen(ctx context.Context, id int64, actor string,
	fn func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error),
	extra func(tx pgx.Tx, l *locked, next auction.Sale, b *pgx.Batch, c *chain) error,
	then func(tx pgx.Tx) error,
) (auction.Sale, []auction.Event, error) {
	var next auction.Sale
	var evs []auction.Event
	var seq, was int64
	err := s.inTxRetry(ctx, func(tx pgx.Tx) error {
		l, err := s.lockSale(ctx, tx, id, nil)
		if err != nil {
			return err
		}
		was = l.seq
		next, evs, err = fn(tx, l)
		if err != nil {
			return err
		}
		var ex func(*pgx.Batch, *chain) error
		if extra != nil {
			ex = func(b *pgx.Batch, c *chain) error { return extra(tx, l, next, b, c) }
		}
		seq, err = save(ctx, tx, l, next, evs, actor, ex)
		if err != nil || then == nil {
			return err
		}
		return then(tx)
	})
	if err != nil {
		return next, nil, err
	}
	// Entries that extra chained (a payment) are news to the event streams
	// as much as the machine's events are.
	if len(evs) > 0 || seq != was {
		s.notify(ctx, id, seq, wakesScheduler(evs))
	}
	return next, evs, nil
}

// act is transition for a plain state-machine method, returning the sale as
// stored afterwards.
func (s *Store) act(ctx context.Context, id int64, actor, what string, fn func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error)) (Sale, error) {
	var out Sale
	_, _, err := s.transitionThen(ctx, id, actor, func(_ pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		return fn(l.now, l.m)
	}, nil, s.readSaleInto(ctx, id, &out))
	if err != nil {
		return Sale{}, fmt.Errorf("registry: %s, sale %d: %w", what, id, err)
	}
	return out, nil
}

// readSaleInto reads sale id into out in the transaction of a change.
func (s *Store) readSaleInto(ctx context.Context, id int64, out *Sale) func(pgx.Tx) error {
	return func(tx pgx.Tx) error {
		var err error
		*out, err = findSale(ctx, tx, id)
		return err
	}
}

// readContractInto reads sale id's contract into out in the transaction of
// a change.
func (s *Store) readContractInto(ctx context.Context, id int64, out *Contract) func(pgx.Tx) error {
	return func(tx pgx.Tx) error {
		var err error
		*out, err = findContract(ctx, tx, id)
		return err
	}
}
