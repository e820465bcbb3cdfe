package registry

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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

// notify announces a committed change after the commit, in a transaction of
// its own with asynchronous commit. NOTIFY inside the change's transaction
// would take PostgreSQL's global notify lock across the commit's WAL flush
// and so serialise every sale's commits; a lost notification only delays a
// subscriber until its timer, since everything is read back from the tables.
//
// While the store's Run loop runs (serve starts it), the notification is
// only queued here: the loop sends what is queued in one statement, one
// payload per sale (its latest audit seq) and at most one deadline nudge,
// so a hot sale's bids do not each pay a round trip and a transaction for a
// nudge, and the caller (holding the sale's gate in openapi) returns at
// once. Without the loop (a command-line tool, a test) the caller sends it
// before returning, so that nothing is lost when the process exits.
func (s *Store) notify(_ context.Context, saleID, seq int64, deadline bool) {
	s.notes.add(saleID, seq, deadline)
}

// Run sends the store's change notifications until ctx ends, then sends
// what is still queued and returns. The process that serves runs it (cmd
// owns the goroutine and waits for it); at most one Run per store.
func (s *Store) Run(ctx context.Context) error { return s.notes.run(ctx) }

// notifyGather is how long queued notifications wait to be sent together.
const notifyGather = 20 * time.Millisecond

// notifier is a store's queue of notifications.
type notifier struct {
	pool     *pgxpool.Pool
	kick     chan struct{} // one pending wake-up of the Run loop
	mu       sync.Mutex
	pending  map[int64]int64 // sale → latest audit seq
	deadline bool
	running  bool // a Run loop takes what is queued
}

func newNotifier(pool *pgxpool.Pool) *notifier {
	return &notifier{pool: pool, pending: map[int64]int64{}, kick: make(chan struct{}, 1)}
}

func (n *notifier) add(saleID, seq int64, deadline bool) {
	n.mu.Lock()
	if old, ok := n.pending[saleID]; !ok || seq > old {
		n.pending[saleID] = seq
	}
	n.deadline = n.deadline || deadline
	running := n.running
	n.mu.Unlock()
	if !running {
		n.send()
		return
	}
	select {
	case n.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// errNotifierRuns refuses a second Run of one store.
var errNotifierRuns = errors.New("registry: the store's notifications are already sent by another Run")

// run sends what is queued until ctx ends; while one statement is in flight
// the next batch gathers.
func (n *notifier) run(ctx context.Context) error {
	n.mu.Lock()
	if n.running {
		n.mu.Unlock()
		return errNotifierRuns
	}
	n.running = true
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.running = false
		n.mu.Unlock()
		n.send() // what was queued before the end; later changes send their own
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.kick:
		}
		// Gather for a moment: every NOTIFY commit signals each listening
		// backend, so a hot sale nudging once per bid cost every process a
		// wake-up per bid. Subscribers see a change at most this much later.
		t := time.NewTimer(notifyGather)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		n.send()
	}
}

// send sends what is queued in one statement.
func (n *notifier) send() {
	n.mu.Lock()
	if len(n.pending) == 0 && !n.deadline {
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

	// Its own deadline, not the caller's or the server's: a change that
	// committed is announced even while the process shuts down.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The map's layers show each sale's closes_at, which a bid in timed
	// bidding moves: the map is nudged here, after the commit, rather
	// than by a trigger inside every bid's transaction (005).
	_, _ = n.pool.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true),
		(SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) p),
		CASE WHEN $3 THEN pg_notify($4, $2[1]) END,
		pg_notify($5, 'sales'), pg_notify($5, 'parcels')`,
		ChannelSale, payloads, deadline, ChannelDeadline, MapChannel)
}
