package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"minerights/auction"
)

// TickDue claims every sale whose next deadline has passed by the database
// clock and ticks it, one transaction per sale. Claims use FOR UPDATE SKIP
// LOCKED, so several processes share the work and a sale held by a bid is
// left to that bid (which ticks it itself) and picked up on the next pass;
// the deadline is re-checked under the lock, so each change happens exactly
// once. It returns how many sales changed.
func (s *Store) TickDue(ctx context.Context) (int, error) {
	return s.tickDue(ctx, 0)
}

// tickDue is TickDue for deadlines that passed at least grace ago.
func (s *Store) tickDue(ctx context.Context, grace time.Duration) (int, error) {
	n := 0
	for {
		changed, found, err := s.tickOne(ctx, grace)
		if err != nil {
			return n, fmt.Errorf("registry: tick due sales: %w", err)
		}
		if !found || !changed {
			// A claimed sale that did not change has a stale deadline
			// column; stopping keeps a bad row from spinning the loop.
			return n, nil
		}
		n++
	}
}

// claimCandidates is how many due sales one claim looks at: the ones held
// by a bid are skipped, so a few more than the processes ticking at once.
const claimCandidates = 16

func (s *Store) tickOne(ctx context.Context, grace time.Duration) (changed, found bool, err error) {
	var id, seq int64
	var evs []auction.Event
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// Due sales are found first and then claimed one by one by id: a
		// sharded database (Citus) cannot lock rows in a query that spans
		// shards, and a claim by id is a query on one sale's shard.
		rows, err := tx.Query(ctx, `SELECT id FROM sale WHERE next_deadline + $1::interval <= clock_timestamp()
			ORDER BY next_deadline, id LIMIT $2`, grace, claimCandidates)
		if err != nil {
			return err
		}
		due, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		id = 0
		for _, d := range due {
			err := tx.QueryRow(ctx, `SELECT id FROM sale WHERE id = $1 AND next_deadline + $2::interval <= clock_timestamp()
				FOR UPDATE SKIP LOCKED`, d, grace).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			break
		}
		if id == 0 {
			return nil
		}
		found = true
		l, err := s.lockSale(ctx, tx, id, nil)
		if err != nil {
			return err
		}
		var next auction.Sale
		next, evs = l.m.Tick(l.now)
		seq, err = save(ctx, tx, l, next, evs, "scheduler", nil)
		return err
	})
	if err != nil {
		return false, false, err
	}
	if len(evs) > 0 {
		s.notify(ctx, id, seq, true)
	}
	return len(evs) > 0, found, nil
}

// untilNextDeadline returns how long until the earliest pending deadline,
// plus grace, by the database clock, and false when none is pending.
func (s *Store) untilNextDeadline(ctx context.Context, grace time.Duration) (time.Duration, bool, error) {
	var ms *float64
	err := s.pool.QueryRow(ctx, `SELECT EXTRACT(EPOCH FROM min(next_deadline) + $1::interval - clock_timestamp()) * 1000 FROM sale WHERE next_deadline IS NOT NULL`, grace).Scan(&ms)
	if err != nil || ms == nil {
		return 0, false, err
	}
	return time.Duration(*ms * float64(time.Millisecond)), true, nil
}

// Hub listens for the notifications of every process on the database
// (LISTEN/NOTIFY through one dedicated connection) and wakes the local
// subscribers: the scheduler, and the live event streams of each sale.
// Subscribers read what changed from the tables, so a notification is only
// a nudge and a lost one costs a timer's delay, not an event.
type Hub struct {
	store *Store
	log   *slog.Logger
	mu    sync.Mutex
	sales map[int64]map[chan struct{}]struct{}
	wakes map[chan struct{}]struct{}
	// tokens counts the token revocations heard, and every loss of the
	// listening connection (after which any may have been missed); live is
	// set while the connection listens.
	tokens atomic.Uint64
	live   atomic.Bool
}

// TokenEpoch returns a number that changes whenever a token may have been
// revoked since it was last read, and whether revocations are being heard
// now. A process may remember a valid token as long as the epoch stays and
// the hub is live.
func (h *Hub) TokenEpoch() (epoch uint64, live bool) {
	return h.tokens.Load(), h.live.Load()
}

// NewHub returns a hub on the store's database; Run starts it.
func NewHub(store *Store, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{store: store, log: log, sales: map[int64]map[chan struct{}]struct{}{}, wakes: map[chan struct{}]struct{}{}}
}

// Run listens until ctx ends, reconnecting after a lost connection; after a
// reconnection every subscriber is woken, since notifications may have been
// missed.
func (h *Hub) Run(ctx context.Context) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, h.store.pool.Config().ConnConfig.Copy())
		},
		LogError: func(ctx context.Context, err error) {
			h.deaf()
			if ctx.Err() == nil {
				h.log.Warn("listen", "err", err)
			}
		},
		ReconnectDelay: 2 * time.Second,
	}
	l.Handle(ChannelSale, hubHandler{h: h, deadline: false})
	l.Handle(ChannelDeadline, hubHandler{h: h, deadline: true})
	l.Handle(ChannelTokens, tokenHandler{h: h})
	err := l.Listen(ctx)
	h.deaf()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type hubHandler struct {
	h        *Hub
	deadline bool
}

func (hh hubHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	id, _, _ := strings.Cut(n.Payload, ":")
	sale, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("bad payload %q", n.Payload)
	}
	if hh.deadline {
		hh.h.wakeAll(0, true)
	} else {
		hh.h.wakeAll(sale, false)
	}
	return nil
}

// HandleBacklog wakes everyone: whatever happened while the connection was
// down is in the tables.
func (hh hubHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	hh.h.wakeAll(-1, hh.deadline)
	return nil
}

// deaf records that revocations may go unheard: the connection is lost or
// closed.
func (h *Hub) deaf() {
	h.live.Store(false)
	h.tokens.Add(1)
}

// tokenHandler hears token revocations.
type tokenHandler struct{ h *Hub }

func (th tokenHandler) HandleNotification(context.Context, *pgconn.Notification, *pgx.Conn) error {
	th.h.tokens.Add(1)
	return nil
}

// HandleBacklog runs once the connection listens again: revocations are
// heard from now on, and any made while it was down are covered by the
// epoch moving.
func (th tokenHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	th.h.tokens.Add(1)
	th.h.live.Store(true)
	return nil
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// wakeAll pokes the subscribers of sale (every sale when sale < 0) and,
// with deadline, the schedulers.
func (h *Hub) wakeAll(sale int64, deadline bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if deadline {
		for c := range h.wakes {
			poke(c)
		}
	}
	for id, subs := range h.sales {
		if sale < 0 || id == sale {
			for c := range subs {
				poke(c)
			}
		}
	}
}

// Subscribe returns a channel poked whenever sale changes, and a function
// to stop.
func (h *Hub) Subscribe(sale int64) (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	if h.sales[sale] == nil {
		h.sales[sale] = map[chan struct{}]struct{}{}
	}
	h.sales[sale][c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.sales[sale], c)
		if len(h.sales[sale]) == 0 {
			delete(h.sales, sale)
		}
		h.mu.Unlock()
	}
}

// wakeups returns a channel poked when a deadline may have moved earlier.
func (h *Hub) wakeups() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	h.wakes[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.wakes, c)
		h.mu.Unlock()
	}
}

// Scheduler moves time forward for every sale: it ticks sales whose
// deadline has passed, sleeping until the next deadline or a notification
// that one has moved. Every serve process runs one; TickDue's locking makes
// them share the work. After a restart the first pass catches up on
// everything that fell due meanwhile. It also writes the periodic audit
// checkpoint.
type Scheduler struct {
	Store *Store
	// Hub, when set, wakes the scheduler as soon as a deadline moves.
	Hub *Hub
	Log *slog.Logger
	// MaxSleep bounds a sleep, so that a missed notification costs at most
	// this long; zero means 5s.
	MaxSleep time.Duration
	// CheckpointEvery is the audit checkpoint period; zero means 1 minute,
	// negative disables checkpoints.
	CheckpointEvery time.Duration
	// Grace is how long after a deadline the scheduler waits before it
	// acts on it, so that bids which arrived before the deadline and are
	// still on their way to the sale's row lock are judged first, at their
	// arrival (BidRequest.Arrived). A change is still stamped with the
	// time the rules set, not when it ran. Zero acts at the deadline.
	Grace time.Duration
}

// Run ticks until ctx ends.
func (sc *Scheduler) Run(ctx context.Context) error {
	log := sc.Log
	if log == nil {
		log = slog.Default()
	}
	maxSleep := sc.MaxSleep
	if maxSleep <= 0 {
		maxSleep = 5 * time.Second
	}
	every := sc.CheckpointEvery
	if every == 0 {
		every = time.Minute
	}
	var wake <-chan struct{}
	if sc.Hub != nil {
		c, stop := sc.Hub.wakeups()
		defer stop()
		wake = c
	}
	nextCheckpoint := time.Now().Add(every)
	for {
		if _, err := sc.Store.tickDue(ctx, sc.Grace); err != nil && ctx.Err() == nil {
			log.Error("scheduler", "err", err)
		}
		if every > 0 && !time.Now().Before(nextCheckpoint) {
			if _, err := sc.Store.WriteCheckpoint(ctx); err != nil && ctx.Err() == nil {
				log.Error("audit checkpoint", "err", err)
			}
			nextCheckpoint = time.Now().Add(every)
		}
		sleep := maxSleep
		if d, ok, err := sc.Store.untilNextDeadline(ctx, sc.Grace); err == nil && ok && d < sleep {
			sleep = max(d, time.Millisecond)
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}
