package registry

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"minerights/auction"
)

// Notification channels. Every committed change of a sale is announced on
// ChannelSale with the payload "<sale id>:<audit seq>"; a change that may
// bring a deadline forward also goes to ChannelDeadline, which wakes the
// schedulers (bids only push deadlines later, so they do not).
const (
	ChannelSale     = "minerights_sale"
	ChannelDeadline = "minerights_deadline"
	// ChannelTokens carries the id of a revoked API token.
	ChannelTokens = "minerights_tokens"
)

// ErrNotCompliant refuses to announce a parcel that has not passed the
// compliance check; the message says which check failed.
var ErrNotCompliant = errors.New("parcel not compliant")

// Bidder is a registered bidder (竞买人).
type Bidder struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreditCode *string   `json:"credit_code"`
	Contact    *string   `json:"contact"`
	CreatedAt  time.Time `json:"created_at"`
}

// BidderInput registers a bidder.
type BidderInput struct {
	Name       string
	CreditCode *string
	Contact    *string
}

// BidderKey is how package auction identifies a registered bidder: the
// bidder id in decimal.
func BidderKey(id int64) string { return strconv.FormatInt(id, 10) }

// ParseBidderKey returns the bidder id of an auction bidder key.
func ParseBidderKey(k string) (int64, bool) {
	id, err := strconv.ParseInt(k, 10, 64)
	return id, err == nil && id > 0
}

// CreateBidder registers a bidder.
func (s *Store) CreateBidder(ctx context.Context, in BidderInput) (Bidder, error) {
	b, _, err := s.registerBidder(ctx, in, false)
	return b, err
}

// CreateBidderWithToken registers a bidder and issues its token in one
// transaction, so that an answer that fails can be retried: either both
// exist or neither does.
func (s *Store) CreateBidderWithToken(ctx context.Context, in BidderInput) (Bidder, string, error) {
	return s.registerBidder(ctx, in, true)
}

func (s *Store) registerBidder(ctx context.Context, in BidderInput, withToken bool) (Bidder, string, error) {
	var b Bidder
	var token string
	if strings.TrimSpace(in.Name) == "" {
		return b, "", &ValidationError{Field: "name", Reason: "the bidder's registered name is required"}
	}
	if in.CreditCode != nil {
		if err := CheckCreditCode("credit_code", *in.CreditCode); err != nil {
			return b, "", err
		}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO bidder (name, credit_code, contact) VALUES ($1, $2, $3)
			RETURNING id, name, credit_code, contact, created_at`, in.Name, in.CreditCode, in.Contact).
			Scan(&b.ID, &b.Name, &b.CreditCode, &b.Contact, &b.CreatedAt)
		if err != nil || !withToken {
			return err
		}
		token, err = insertBidderToken(ctx, tx, b.ID, b.Name, 0)
		return err
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) && strings.Contains(ve.Field, "credit_code") {
			ve.Field, ve.Reason = "credit_code", "not a unified social credit code (统一社会信用代码): 18 characters, digits and capital letters other than I, O, S, V, Z"
		}
		if errors.Is(err, ErrConflict) {
			err = Conflict("a bidder with this credit code is already registered")
		}
		return b, "", fmt.Errorf("registry: create bidder: %w", err)
	}
	return b, token, nil
}

// GetBidder returns a bidder.
func (s *Store) GetBidder(ctx context.Context, id int64) (Bidder, error) {
	var b Bidder
	err := s.db(ctx).QueryRow(ctx, `SELECT id, name, credit_code, contact, created_at FROM bidder WHERE id = $1`, id).
		Scan(&b.ID, &b.Name, &b.CreditCode, &b.Contact, &b.CreatedAt)
	if err != nil {
		return b, fmt.Errorf("registry: get bidder %d: %w", id, mapErr(err))
	}
	return b, nil
}

// CreateBidderToken issues a bidder token linked to a registered bidder.
func (s *Store) CreateBidderToken(ctx context.Context, bidderID int64, name string, ttl time.Duration) (string, error) {
	var token string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		token, err = insertBidderToken(ctx, tx, bidderID, name, ttl)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("registry: create bidder token: %w", err)
	}
	return token, nil
}

func insertBidderToken(ctx context.Context, tx pgx.Tx, bidderID int64, name string, ttl time.Duration) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	var expires *time.Duration
	if ttl > 0 {
		expires = &ttl
	}
	_, err = tx.Exec(ctx, `INSERT INTO api_token (name, role, digest, expires_at, bidder_id)
		VALUES ($1, 'bidder', $2, now() + $3::interval, $4)`, name, digest(token), expires, bidderID)
	if err != nil {
		return "", err
	}
	return token, nil
}

// Sale is a sale as the registry holds it. Machine is the whole state,
// secrets included: callers build what each reader may see from it.
type Sale struct {
	ID             int64
	ParcelID       int64
	ParcelName     string
	Round          int
	PreviousSaleID *int64
	Machine        auction.Sale
	AuditSeq       int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Bidders names the participants, by auction bidder key.
	Bidders map[string]Bidder
}

// SaleInput creates a sale (or a re-offer). The starting price is the
// parcel's; Reserve is the secret 底价, zero for none.
type SaleInput struct {
	ParcelID  int64
	Method    auction.Method
	Increment int64
	Deposit   int64
	Reserve   int64
}

// SaleFilter selects sales.
type SaleFilter struct {
	ParcelID int64
	State    string
	// BidderID, when set, keeps the sales the bidder applied for.
	BidderID int64
	Limit    int
	Offset   int
}

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

// notify announces a committed change after the commit, in a transaction of
// its own with asynchronous commit. NOTIFY inside the change's transaction
// would take PostgreSQL's global notify lock across the commit's WAL flush
// and so serialise every sale's commits; a lost notification only delays a
// subscriber until its timer, since everything is read back from the tables.
//
// The notification is only queued here: one goroutine per store sends what
// is queued in one statement, one payload per sale (its latest audit seq)
// and at most one deadline nudge, so a hot sale's bids do not each pay a
// round trip and a transaction for a nudge, and the caller (holding the
// sale's gate in openapi) returns at once.
func (s *Store) notify(_ context.Context, saleID, seq int64, deadline bool) {
	s.notes.add(saleID, seq, deadline)
}

// notifyGather is how long queued notifications wait to be sent together.
const notifyGather = 20 * time.Millisecond

// notifier is a store's queue of notifications; an idle one has no
// goroutine.
type notifier struct {
	pool     *pgxpool.Pool
	mu       sync.Mutex
	pending  map[int64]int64 // sale → latest audit seq
	deadline bool
	running  bool
}

func newNotifier(pool *pgxpool.Pool) *notifier {
	return &notifier{pool: pool, pending: map[int64]int64{}}
}

func (n *notifier) add(saleID, seq int64, deadline bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if old, ok := n.pending[saleID]; !ok || seq > old {
		n.pending[saleID] = seq
	}
	n.deadline = n.deadline || deadline
	if !n.running {
		n.running = true
		go n.flush()
	}
}

// flush sends what is queued until nothing is; while one statement is in
// flight the next batch gathers.
func (n *notifier) flush() {
	for {
		// Gather for a moment: every NOTIFY commit signals each listening
		// backend, so a hot sale nudging once per bid cost every process a
		// wake-up per bid. Subscribers see a change at most this much later.
		time.Sleep(notifyGather)
		n.mu.Lock()
		if len(n.pending) == 0 {
			n.running = false
			n.mu.Unlock()
			return
		}
		payloads := make([]string, 0, len(n.pending))
		for id, seq := range n.pending {
			payloads = append(payloads, strconv.FormatInt(id, 10)+":"+strconv.FormatInt(seq, 10))
		}
		deadline := n.deadline
		n.pending = map[int64]int64{}
		n.deadline = false
		n.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// The map's layers show each sale's closes_at, which a bid in timed
		// bidding moves: the map is nudged here, after the commit, rather
		// than by a trigger inside every bid's transaction (005).
		_, _ = n.pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true),
			(SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) p),
			CASE WHEN $3 THEN pg_notify($4, $2[1]) END,
			pg_notify($5, 'sales'), pg_notify($5, 'parcels')`,
			ChannelSale, payloads, deadline, ChannelDeadline, MapChannel)
		cancel()
	}
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
	var seq int64
	err := s.inTxRetry(ctx, func(tx pgx.Tx) error {
		l, err := s.lockSale(ctx, tx, id, nil)
		if err != nil {
			return err
		}
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
	if len(evs) > 0 {
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

// CreateSale creates a draft sale of a parcel that has a starting price, by
// rules, with the reserve committed when one is given. The salt of the
// reserve commitment is drawn here and kept secret until the close.
func (s *Store) CreateSale(ctx context.Context, in SaleInput, rules auction.Rules, actor string) (Sale, error) {
	var out Sale
	err := s.inTxRetry(ctx, func(tx pgx.Tx) error {
		id, err := insertSale(ctx, tx, in, rules, actor, 1, nil, nil)
		if err != nil {
			return err
		}
		return s.readSaleInto(ctx, id, &out)(tx)
	})
	if err != nil {
		return Sale{}, fmt.Errorf("registry: create sale: %w", err)
	}
	return out, nil
}

func insertSale(ctx context.Context, tx pgx.Tx, in SaleInput, rules auction.Rules, actor string, round int, prev *int64, barred []string) (int64, error) {
	var price *int64
	var status string
	err := tx.QueryRow(ctx, `SELECT starting_price_yuan, status FROM parcel WHERE id = $1 FOR UPDATE`, in.ParcelID).Scan(&price, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, &ValidationError{Field: "parcel_id", Reason: fmt.Sprintf("there is no parcel %d", in.ParcelID)}
	}
	if err != nil {
		return 0, err
	}
	if price == nil {
		return 0, &ValidationError{Field: "parcel_id", Reason: fmt.Sprintf("parcel %d has no starting price (出让收益起始价): record one before creating a sale", in.ParcelID)}
	}
	if status == StatusWithdrawn {
		return 0, &ValidationError{Field: "parcel_id", Reason: fmt.Sprintf("parcel %d is withdrawn", in.ParcelID)}
	}
	if err := checkCompliance(ctx, tx, in.ParcelID); err != nil {
		return 0, err
	}
	// The parcel row is written before the sales are searched: on Citus the
	// search reads every shard in parallel, after which a transaction may
	// not write a reference table such as parcel.
	if _, err := tx.Exec(ctx, `UPDATE parcel SET status = 'registered', updated_at = now() WHERE id = $1 AND status <> 'registered'`, in.ParcelID); err != nil {
		return 0, err
	}
	var live int64
	err = tx.QueryRow(ctx, `SELECT id FROM sale WHERE parcel_id = $1 AND state NOT IN ('failed', 'terminated', 'defaulted')`, in.ParcelID).Scan(&live)
	if err == nil {
		return 0, Conflict("parcel %d is already in sale %d", in.ParcelID, live)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	m, err := auction.NewSale(in.Method, auction.Terms{StartingPrice: *price, Increment: in.Increment, Deposit: in.Deposit}, rules)
	if err != nil {
		return 0, err
	}
	m.Barred = barred
	var now time.Time
	if err := tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&now); err != nil {
		return 0, err
	}
	var evs []auction.Event
	if in.Reserve != 0 {
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return 0, err
		}
		m, evs, err = m.SetReserve(now, in.Reserve, salt)
		if err != nil {
			return 0, err
		}
	}
	machine, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO sale (parcel_id, round, previous_sale_id, method, state, rules_name,
			starting_price_yuan, increment_yuan, deposit_yuan, machine, machine_tag, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json, $11, $12, $12) RETURNING id`,
		in.ParcelID, round, prev, string(m.Method), string(m.State), rules.Name, m.Terms.StartingPrice,
		m.Terms.Increment, m.Terms.Deposit, string(machine), newMachineTag(), now).Scan(&id)
	if err != nil {
		return 0, err
	}
	if len(evs) > 0 {
		l := &locked{id: id, parcelID: in.ParcelID, round: round, base: m, m: m, full: true, now: now}
		if _, err := save(ctx, tx, l, m, evs, actor, nil); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// checkCompliance asks the compliance engine's SQL function whether the
// parcel may be offered: NULL means it passed, anything else is the reason.
func checkCompliance(ctx context.Context, tx pgx.Tx, parcelID int64) error {
	var problem *string
	if err := tx.QueryRow(ctx, `SELECT parcel_compliance_problem($1)`, parcelID).Scan(&problem); err != nil {
		return err
	}
	if problem != nil {
		return &NotCompliantError{Reason: *problem}
	}
	return nil
}

const saleColumns = `s.id, s.parcel_id, p.name, s.round, s.previous_sale_id, s.machine::text, ` + overlaySQL + `,
	s.audit_seq, s.created_at, s.updated_at`

func scanSale(row pgx.Row) (Sale, error) {
	var sl Sale
	var raw string
	var ov *string
	if err := row.Scan(&sl.ID, &sl.ParcelID, &sl.ParcelName, &sl.Round, &sl.PreviousSaleID, &raw, &ov, &sl.AuditSeq, &sl.CreatedAt, &sl.UpdatedAt); err != nil {
		return sl, err
	}
	var base auction.Sale
	if err := json.Unmarshal([]byte(raw), &base); err != nil {
		return sl, err
	}
	o, err := decodeOverlay(ov)
	if err != nil {
		return sl, err
	}
	sl.Machine = withOverlay(base, o)
	return sl, nil
}

// GetSale returns a sale with the names of its participants.
func (s *Store) GetSale(ctx context.Context, id int64) (Sale, error) {
	return findSale(ctx, s.db(ctx), id)
}

// saleQuerier is what reads of several rows need: a pool, or the
// transaction of a change the read answers with.
type saleQuerier interface {
	querier
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func findSale(ctx context.Context, q saleQuerier, id int64) (Sale, error) {
	sl, err := scanSale(q.QueryRow(ctx, `SELECT `+saleColumns+` FROM sale s JOIN parcel p ON p.id = s.parcel_id WHERE s.id = $1`, id))
	if err != nil {
		return sl, fmt.Errorf("registry: get sale %d: %w", id, mapErr(err))
	}
	rows, err := q.Query(ctx, `SELECT b.id, b.name, b.credit_code, b.contact, b.created_at
		FROM sale_participant sp JOIN bidder b ON b.id = sp.bidder_id WHERE sp.sale_id = $1`, id)
	if err != nil {
		return sl, fmt.Errorf("registry: get sale %d: %w", id, err)
	}
	bs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Bidder])
	if err != nil {
		return sl, fmt.Errorf("registry: get sale %d: %w", id, err)
	}
	sl.Bidders = map[string]Bidder{}
	for _, b := range bs {
		sl.Bidders[BidderKey(b.ID)] = b
	}
	return sl, nil
}

// ListSales returns sales, newest first, and how many match.
func (s *Store) ListSales(ctx context.Context, f SaleFilter) ([]Sale, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ParcelID != 0 {
		add("s.parcel_id = $%d", f.ParcelID)
	}
	if f.State != "" {
		add("s.state = $%d", f.State)
	}
	if f.BidderID != 0 {
		add("EXISTS (SELECT 1 FROM sale_participant sp WHERE sp.sale_id = s.id AND sp.bidder_id = $%d)", f.BidderID)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var total int
	if err := s.db(ctx).QueryRow(ctx, `SELECT count(*) FROM sale s `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("registry: list sales: %w", err)
	}
	rows, err := s.db(ctx).Query(ctx, `SELECT `+saleColumns+` FROM sale s JOIN parcel p ON p.id = s.parcel_id `+cond+
		fmt.Sprintf(` ORDER BY s.id DESC LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2), append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list sales: %w", err)
	}
	defer rows.Close()
	var out []Sale
	for rows.Next() {
		sl, err := scanSale(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("registry: list sales: %w", err)
		}
		out = append(out, sl)
	}
	return out, total, rows.Err()
}

// Announce publishes a draft sale (公告) with its windows, once the parcel
// passes compliance. The announcement is stored as notice 1, never edited.
func (s *Store) Announce(ctx context.Context, id int64, cal auction.Calendar, w auction.Windows, actor string) (Sale, error) {
	var out Sale
	_, _, err := s.transitionThen(ctx, id, actor, func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if err := checkCompliance(ctx, tx, l.parcelID); err != nil {
			return l.m, nil, err
		}
		return l.m.Announce(l.now, cal, w)
	}, func(tx pgx.Tx, l *locked, next auction.Sale, b *pgx.Batch, c *chain) error {
		p, err := findParcel(ctx, tx, l.parcelID)
		if err != nil {
			return err
		}
		body := map[string]any{
			"parcel": map[string]any{
				"id": p.ID, "name": p.Name, "county": p.CountyName, "mineral": p.Mineral,
				"area_km2": p.StatedAreaKm2, "elevation_top_m": p.ElevationTopM, "elevation_bottom_m": p.ElevationBottomM,
				"service_life_years": p.ServiceLifeYears, "geometry_source": p.GeometrySource,
			},
			"method": next.Method, "terms": next.Terms, "windows": next.Windows,
			"reserve_commitment": next.Reserve.Commitment, "rules": next.Rules.Name,
		}
		// The working-day calendar the windows were checked with, year by
		// year: the SHA-256 of each document (a file or a version loaded
		// into the database, GET /api/v1/calendars/{year}).
		if d := cal.Digests(); len(d) > 0 {
			body["calendar_sha256"] = d
		}
		return queueNotice(b, c, 1, "announcement", l.now, body)
	}, s.readSaleInto(ctx, id, &out))
	if err != nil {
		return Sale{}, fmt.Errorf("registry: announce sale %d: %w", id, err)
	}
	return out, nil
}

func queueNotice(b *pgx.Batch, c *chain, no int, kind string, at time.Time, body map[string]any) error {
	bb, err := json.Marshal(body)
	if err != nil {
		return err
	}
	b.Queue(`INSERT INTO sale_notice (sale_id, no, kind, published_at, body) VALUES ($1, $2, $3, $4, $5::jsonb)`,
		c.saleID, no, kind, at, string(bb))
	data, err := json.Marshal(map[string]any{"no": no, "kind": kind, "at": at, "body": json.RawMessage(bb)})
	if err != nil {
		return err
	}
	return c.add(KindNoticePublished, at, data)
}

// Notice is an announcement or a supplementary notice.
type Notice struct {
	No          int             `json:"no"`
	Kind        string          `json:"kind"`
	PublishedAt time.Time       `json:"published_at"`
	Body        json.RawMessage `json:"body"`
}

// AddNotice publishes a supplementary notice (补充公告) of an announced sale:
// the announcement itself is never edited.
func (s *Store) AddNotice(ctx context.Context, id int64, text string, actor string) (Notice, error) {
	var n Notice
	if strings.TrimSpace(text) == "" {
		return n, &ValidationError{Field: "text", Reason: "the notice text is required"}
	}
	_, _, err := s.transition(ctx, id, actor, func(tx pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if l.m.State == auction.StateDraft {
			return l.m, nil, Conflict("the sale is not announced yet; change the draft instead")
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(no), 0) + 1 FROM sale_notice WHERE sale_id = $1`, id).Scan(&n.No); err != nil {
			return l.m, nil, err
		}
		return l.m, nil, nil
	}, func(tx pgx.Tx, l *locked, _ auction.Sale, b *pgx.Batch, c *chain) error {
		n.Kind, n.PublishedAt = "supplementary", l.now
		body := map[string]any{"text": text}
		n.Body, _ = json.Marshal(body)
		return queueNotice(b, c, n.No, n.Kind, l.now, body)
	})
	if err != nil {
		return n, fmt.Errorf("registry: notice of sale %d: %w", id, err)
	}
	s.notify(ctx, id, 0, false)
	return n, nil
}

// Notices lists a sale's announcement and supplementary notices.
func (s *Store) Notices(ctx context.Context, id int64) ([]Notice, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT no, kind, published_at, body::text FROM sale_notice WHERE sale_id = $1 ORDER BY no`, id)
	if err != nil {
		return nil, fmt.Errorf("registry: notices of sale %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notice, error) {
		var n Notice
		var body string
		err := r.Scan(&n.No, &n.Kind, &n.PublishedAt, &body)
		n.Body = json.RawMessage(body)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: notices of sale %d: %w", id, err)
	}
	return out, nil
}

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

// Suspend suspends a sale (暂停).
func (s *Store) Suspend(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "suspend", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Suspend(now, reason)
	})
}

// Resume resumes a suspended sale.
func (s *Store) Resume(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "resume", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Resume(now, reason)
	})
}

// Terminate ends a sale before its close (终止).
func (s *Store) Terminate(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	return s.act(ctx, id, actor, "terminate", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Terminate(now, reason)
	})
}

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

// Default records the winner's refusal to sign or pay: the deposit is
// forfeited and the bidder barred from the parcel.
func (s *Store) Default(ctx context.Context, id int64, reason, actor string) (Sale, error) {
	if strings.TrimSpace(reason) == "" {
		return Sale{}, &ValidationError{Field: "reason", Reason: "a reason is required"}
	}
	return s.act(ctx, id, actor, "record default", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		return m.Default(now, reason)
	})
}

// Reoffer creates the next round's draft sale of the parcel after a failure
// or a default, carrying over the barred bidders; a reserve must be
// committed afresh.
func (s *Store) Reoffer(ctx context.Context, id int64, in SaleInput, actor string) (Sale, error) {
	var nid int64
	var out Sale
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		l, err := s.lockSale(ctx, tx, id, nil)
		if err != nil {
			return err
		}
		next, err := l.m.Reoffer(in.Method, auction.Terms{StartingPrice: l.m.Terms.StartingPrice, Increment: in.Increment, Deposit: in.Deposit})
		if err != nil {
			return err
		}
		in.ParcelID = l.parcelID
		prev := id
		nid, err = insertSale(ctx, tx, in, next.Rules, actor, l.round+1, &prev, next.Barred)
		if err != nil {
			return err
		}
		return s.readSaleInto(ctx, nid, &out)(tx)
	})
	if err != nil {
		return Sale{}, fmt.Errorf("registry: re-offer sale %d: %w", id, err)
	}
	return out, nil
}

// Tick applies the time-driven changes due by the database clock; it is
// what the scheduler runs, and is harmless at any time.
func (s *Store) Tick(ctx context.Context, id int64) (Sale, error) {
	return s.act(ctx, id, "scheduler", "tick", func(now time.Time, m auction.Sale) (auction.Sale, []auction.Event, error) {
		next, evs := m.Tick(now)
		return next, evs, nil
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

// Contract schedules of 出让收益.
const (
	ScheduleLumpSum     = "lump_sum"
	ScheduleInstalments = "instalments"
)

// InstalmentInput is one due payment of the price: a date (China Standard
// Time, YYYY-MM-DD) and an amount in 元.
type InstalmentInput struct {
	Due    string
	Amount int64
}

// ContractInput is the payment schedule agreed in the contract (出让合同):
// a lump sum (one instalment) or instalments adding up to the price.
type ContractInput struct {
	Schedule    string
	Instalments []InstalmentInput
	Reference   string
}

// Instalment is a due payment and how much of it is paid.
type Instalment struct {
	No     int    `json:"no"`
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
	Paid   int64  `json:"paid"`
	// Status is paid, due or overdue.
	Status string `json:"status"`
}

// Payment is one payment of the price; the winner's deposit is the first.
type Payment struct {
	Amount    int64     `json:"amount"`
	PaidAt    time.Time `json:"paid_at"`
	Reference *string   `json:"reference"`
}

// Contract is a signed contract with its schedule and payments.
type Contract struct {
	SaleID          int64        `json:"sale_id"`
	SignedAt        time.Time    `json:"signed_at"`
	Price           int64        `json:"price"`
	DepositCredited int64        `json:"deposit_credited"`
	Schedule        string       `json:"schedule"`
	Instalments     []Instalment `json:"instalments"`
	Payments        []Payment    `json:"payments"`
	Paid            int64        `json:"paid"`
	Outstanding     int64        `json:"outstanding"`
	Overdue         bool         `json:"overdue"`
}

func (in ContractInput) validate(price int64) error {
	switch in.Schedule {
	case ScheduleLumpSum:
		if len(in.Instalments) != 1 {
			return &ValidationError{Field: "instalments", Reason: "a lump sum has exactly one due payment"}
		}
	case ScheduleInstalments:
		if len(in.Instalments) < 2 {
			return &ValidationError{Field: "instalments", Reason: "payment in instalments needs at least two due payments"}
		}
	default:
		return &ValidationError{Field: "schedule", Reason: "use lump_sum or instalments"}
	}
	var sum int64
	prev := ""
	for i, it := range in.Instalments {
		if _, err := time.Parse("2006-01-02", it.Due); err != nil {
			return &ValidationError{Field: fmt.Sprintf("instalments[%d].due", i), Reason: "not a date (YYYY-MM-DD)"}
		}
		if it.Due <= prev {
			return &ValidationError{Field: fmt.Sprintf("instalments[%d].due", i), Reason: "due dates must increase"}
		}
		if it.Amount <= 0 || it.Amount > auction.MaxAmount {
			return &ValidationError{Field: fmt.Sprintf("instalments[%d].amount", i), Reason: "must be a positive amount in 元"}
		}
		prev = it.Due
		sum += it.Amount
	}
	if sum != price {
		return &ValidationError{Field: "instalments", Reason: fmt.Sprintf("the instalments add up to %d 元, the price is %d 元", sum, price)}
	}
	return nil
}

// SignContract records the contract after the publicity: the schedule of
// 出让收益, with the winner's deposit credited as the first payment.
func (s *Store) SignContract(ctx context.Context, id int64, in ContractInput, actor string) (Contract, error) {
	var out Contract
	_, _, err := s.transitionThen(ctx, id, actor, func(_ pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if l.m.State == auction.StatePublicity {
			if err := in.validate(l.m.High.Amount); err != nil {
				return l.m, nil, err
			}
		}
		return l.m.SignContract(l.now)
	}, func(_ pgx.Tx, l *locked, next auction.Sale, b *pgx.Batch, c *chain) error {
		var credited int64
		if p, ok := next.Participant(next.High.Bidder); ok {
			credited = p.Deposit
		}
		b.Queue(`INSERT INTO sale_contract (sale_id, signed_at, price_yuan, deposit_credited_yuan, schedule) VALUES ($1, $2, $3, $4, $5)`,
			id, l.now, next.High.Amount, credited, in.Schedule)
		for i, it := range in.Instalments {
			b.Queue(`INSERT INTO contract_instalment (sale_id, no, due_date, amount_yuan) VALUES ($1, $2, $3::date, $4)`, id, i+1, it.Due, it.Amount)
		}
		if credited > 0 {
			b.Queue(`INSERT INTO contract_payment (sale_id, amount_yuan, paid_at, reference) VALUES ($1, $2, $3, '保证金转作价款')`, id, credited, l.now)
		}
		data, err := json.Marshal(map[string]any{"schedule": in.Schedule, "instalments": in.Instalments, "deposit_credited": credited, "reference": in.Reference})
		if err != nil {
			return err
		}
		return c.add(KindContractTerms, l.now, data)
	}, s.readContractInto(ctx, id, &out))
	if err != nil {
		return Contract{}, fmt.Errorf("registry: sign contract of sale %d: %w", id, err)
	}
	return out, nil
}

// RecordPayment records a payment of the price against the contract.
func (s *Store) RecordPayment(ctx context.Context, id, amount int64, reference, actor string) (Contract, error) {
	if amount <= 0 || amount > auction.MaxAmount {
		return Contract{}, &ValidationError{Field: "amount", Reason: "must be a positive amount in 元"}
	}
	var out Contract
	_, _, err := s.transitionThen(ctx, id, actor, func(_ pgx.Tx, l *locked) (auction.Sale, []auction.Event, error) {
		if l.m.State != auction.StateContracted {
			return l.m, nil, Conflict("payments are recorded against a signed contract; the sale is %s", l.m.State)
		}
		return l.m, nil, nil
	}, func(_ pgx.Tx, l *locked, _ auction.Sale, b *pgx.Batch, c *chain) error {
		b.Queue(`INSERT INTO contract_payment (sale_id, amount_yuan, paid_at, reference) VALUES ($1, $2, $3, $4)`, id, amount, l.now, nullString(reference))
		data, err := json.Marshal(map[string]any{"amount": amount, "reference": reference, "at": l.now})
		if err != nil {
			return err
		}
		return c.add(KindPaymentRecorded, l.now, data)
	}, s.readContractInto(ctx, id, &out))
	if err != nil {
		return Contract{}, fmt.Errorf("registry: payment on sale %d: %w", id, err)
	}
	return out, nil
}

// GetContract returns the contract with each instalment's status on the
// database's current date in China Standard Time: payments settle the
// instalments in order, and an instalment past its due date and not fully
// paid is overdue.
func (s *Store) GetContract(ctx context.Context, id int64) (Contract, error) {
	return findContract(ctx, s.db(ctx), id)
}

func findContract(ctx context.Context, q saleQuerier, id int64) (Contract, error) {
	var c Contract
	var today string
	err := q.QueryRow(ctx, `SELECT sale_id, signed_at, price_yuan, deposit_credited_yuan, schedule,
			to_char((clock_timestamp() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD')
		FROM sale_contract WHERE sale_id = $1`, id).Scan(&c.SaleID, &c.SignedAt, &c.Price, &c.DepositCredited, &c.Schedule, &today)
	if err != nil {
		return c, fmt.Errorf("registry: contract of sale %d: %w", id, mapErr(err))
	}
	rows, err := q.Query(ctx, `SELECT no, to_char(due_date, 'YYYY-MM-DD'), amount_yuan, 0::bigint, '' FROM contract_instalment WHERE sale_id = $1 ORDER BY no`, id)
	if err == nil {
		c.Instalments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Instalment])
	}
	if err != nil {
		return c, fmt.Errorf("registry: contract of sale %d: %w", id, err)
	}
	rows, err = q.Query(ctx, `SELECT amount_yuan, paid_at, reference FROM contract_payment WHERE sale_id = $1 ORDER BY id`, id)
	if err == nil {
		c.Payments, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Payment])
	}
	if err != nil {
		return c, fmt.Errorf("registry: contract of sale %d: %w", id, err)
	}
	for _, p := range c.Payments {
		c.Paid += p.Amount
	}
	c.Outstanding = max(c.Price-c.Paid, 0)
	left := c.Paid
	for i := range c.Instalments {
		it := &c.Instalments[i]
		it.Paid = min(left, it.Amount)
		left -= it.Paid
		switch {
		case it.Paid == it.Amount:
			it.Status = "paid"
		case it.Due < today:
			it.Status = "overdue"
			c.Overdue = true
		default:
			it.Status = "due"
		}
	}
	return c, nil
}
