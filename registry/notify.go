package registry

import (
	"context"
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
