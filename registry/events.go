package registry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"minerights/auction"
)

// Events is a process's fan-out of the sales' audit entries to live
// subscribers (the event streams). Per sale with subscribers it keeps one
// room: one goroutine that, on each wake-up of the hub (or a poll), reads the
// new entries once and keeps the latest Buffer of them in memory, each
// encoded once per view (public, each bidder, planner, bureau: whatever the
// subscribers' View keys say), so the database work per event does not grow
// with the number of subscribers and every subscriber of a view is handed
// the same bytes.
//
// Delivery is pulled: each subscriber keeps only its position in the room's
// entries and writes at its own pace, so a slow one never holds up the
// others or the reader. One that falls more than Buffer entries behind is
// cut off (its OnCut is called, which should end its connection); it
// resumes from its last id, from memory or, further back, from the table.
type Events struct {
	store *Store
	hub   *Hub
	cfg   EventsConfig
	log   *slog.Logger

	mu     sync.Mutex
	rooms  map[int64]*room
	closed bool
	// base is the life of the rooms' goroutines: they outlive the
	// Subscribe call that starts them and end at Close.
	base context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	subscribers atomic.Int64
	reads       atomic.Int64
	entries     atomic.Int64
	encodes     atomic.Int64
	cutoffs     atomic.Int64
	replays     atomic.Int64
}

// EventsConfig bounds the fan-out.
type EventsConfig struct {
	// Buffer is how many of a sale's latest entries a process keeps; a
	// subscriber further behind than this is cut off. Zero means 1024.
	Buffer int
	// Replay is how many entries one subscription may read from the
	// database when it starts behind what is in memory. Zero means
	// 2*Buffer.
	Replay int
	// Poll is how often a room reads without a wake-up: a lost
	// notification costs at most this. Zero means 15 s with a hub and 1 s
	// without.
	Poll time.Duration
	// Idle is how long a room outlives its last subscriber, so that a
	// reconnecting crowd finds it warm. Zero means 30 s.
	Idle time.Duration
	// Gather is the least time between two reads of a room: the entries
	// of a hot sale reach each subscriber in one write per Gather rather
	// than one per notification (every process notifies), and those
	// writes are most of a crowd's cost. It grows by GatherPerSubscriber
	// for each subscriber of the room in this process, up to MaxGather.
	// Zero means 50 ms; negative reads on every wake-up.
	Gather time.Duration
	// GatherPerSubscriber is what each subscriber adds to Gather; zero
	// means 200 µs (500 subscribers: 100 ms, 2,500 and more: 500 ms).
	GatherPerSubscriber time.Duration
	// MaxGather bounds Gather; zero means 500 ms.
	MaxGather time.Duration
	// Log receives read errors; nil means slog.Default().
	Log *slog.Logger
}

// EventsStats are the fan-out's counters since it started.
type EventsStats struct {
	Rooms       int   // sales with a room now
	Subscribers int64 // open subscriptions
	Reads       int64 // database reads of new entries by the rooms
	Entries     int64 // entries read by the rooms
	Encodes     int64 // entries encoded for a view
	Cutoffs     int64 // subscribers cut off for falling behind
	Replays     int64 // database reads by subscribers that started behind memory
}

// View is how one kind of subscriber reads a sale's entries. Subscribers
// with the same Key are handed the same bytes, so Key must capture
// everything Encode depends on (the role, and a bidder's own identity).
// Encode returns the bytes to send for an entry in the sale's phase p, or
// nil when the entry is not shown to this view at all. p is the phase of the
// sale when the entry is encoded, never earlier than the entry's own: the
// bytes of an entry encoded while bids were sealed stay sealed.
//
// Class, if set, sorts a room's views by how they read one entry: views
// whose Class of an entry is equal are handed the bytes encoded for the
// first of them, so an entry is encoded once per class rather than once
// per view (every bidder but the one a bid names reads it as the public
// does). Class must be cheaper than Encode and equal only where Encode is.
type View struct {
	Key    string
	Encode func(AuditEntry, auction.Phase) []byte
	Class  func(AuditEntry, auction.Phase) string
}

// ErrLagged ends a subscription that fell too far behind; it may resume
// from the last entry it sent.
var ErrLagged = errors.New("registry: subscriber fell too far behind")

// ErrEventsClosed ends every subscription when the fan-out stops.
var ErrEventsClosed = errors.New("registry: live events stopped")

// readPage is how many entries one read fetches.
const readPage = 500

// NewEvents returns the fan-out of store's sales, woken by hub (nil: it
// polls). Rooms start with their first subscriber and stop after Idle
// without one, or at Close.
func NewEvents(store *Store, hub *Hub, cfg EventsConfig) *Events {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1024
	}
	if cfg.Replay <= 0 {
		cfg.Replay = 2 * cfg.Buffer
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
		if hub != nil {
			cfg.Poll = 15 * time.Second
		}
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Second
	}
	if cfg.Gather == 0 {
		cfg.Gather = 50 * time.Millisecond
	}
	if cfg.GatherPerSubscriber <= 0 {
		cfg.GatherPerSubscriber = 200 * time.Microsecond
	}
	if cfg.MaxGather <= 0 {
		cfg.MaxGather = 500 * time.Millisecond
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	base, stop := context.WithCancel(context.Background())
	return &Events{store: store, hub: hub, cfg: cfg, log: log, rooms: map[int64]*room{}, base: base, stop: stop}
}

// Config returns the bounds in force, defaults filled in.
func (ev *Events) Config() EventsConfig { return ev.cfg }

// Run returns when ctx ends, after closing the fan-out: it ties the rooms'
// goroutines to the caller's context.
func (ev *Events) Run(ctx context.Context) error {
	<-ctx.Done()
	ev.Close()
	return nil
}

// Close ends every subscription and waits for the rooms' goroutines.
func (ev *Events) Close() {
	ev.mu.Lock()
	ev.closed = true
	ev.mu.Unlock()
	ev.stop()
	ev.wg.Wait()
}

// Stats returns the counters.
func (ev *Events) Stats() EventsStats {
	ev.mu.Lock()
	n := len(ev.rooms)
	ev.mu.Unlock()
	return EventsStats{Rooms: n, Subscribers: ev.subscribers.Load(), Reads: ev.reads.Load(), Entries: ev.entries.Load(),
		Encodes: ev.encodes.Load(), Cutoffs: ev.cutoffs.Load(), Replays: ev.replays.Load()}
}

// Subscribe follows sale's entries after seq `after` for a subscriber of
// view v. onCut, if not nil, is called (from another goroutine) when the
// subscriber is cut off for falling behind, so that a write blocked on a
// stalled client can be ended at once.
func (ev *Events) Subscribe(sale, after int64, v View, onCut func()) (*Subscription, error) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.closed {
		return nil, ErrEventsClosed
	}
	r := ev.rooms[sale]
	if r == nil {
		r = &room{ev: ev, sale: sale, ring: make([]*ringEntry, ev.cfg.Buffer), first: 1, changed: make(chan struct{}),
			subs: map[*Subscription]struct{}{}, views: map[string]*viewCount{}}
		ev.rooms[sale] = r
		ev.wg.Add(1)
		go r.run(ev.base)
	}
	s := &Subscription{room: r, view: v, onCut: onCut}
	s.pos.Store(after)
	r.mu.Lock()
	r.subs[s] = struct{}{}
	if vc := r.views[v.Key]; vc != nil {
		vc.n++
	} else {
		r.views[v.Key] = &viewCount{n: 1, encode: v.Encode, class: v.Class}
	}
	r.mu.Unlock()
	ev.subscribers.Add(1)
	return s, nil
}

// Subscription is one subscriber's place in a sale's entries.
type Subscription struct {
	room  *room
	view  View
	onCut func()
	// pos is the last entry handed out.
	pos atomic.Int64
	// attached is set once the subscriber has been served from memory:
	// from then on, falling out of memory means it is too slow.
	attached bool
	replayed int
	cut      bool
	closed   bool
}

// closedChan is returned by Next when more is ready at once.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Next appends to dst the encoded entries after the subscriber's position,
// at most max of them, and advances it. It returns the channel to wait on
// before calling again (closed at once when more is ready). The error is
// ErrLagged for a subscriber cut off, ErrEventsClosed when the fan-out
// stops, or a database error while replaying.
func (s *Subscription) Next(ctx context.Context, dst [][]byte, max int) ([][]byte, <-chan struct{}, error) {
	r := s.room
	r.mu.Lock()
	if s.cut {
		r.mu.Unlock()
		return dst, nil, ErrLagged
	}
	if s.closed || r.done {
		r.mu.Unlock()
		return dst, nil, ErrEventsClosed
	}
	ch := r.changed
	pos := s.pos.Load()
	if !r.ready || pos >= r.last {
		r.mu.Unlock()
		return dst, ch, nil
	}
	if pos+1 < r.first {
		// Behind what is in memory: a subscriber resuming from an older id
		// reads the gap from the table, within its allowance; one that
		// was already following has fallen too far behind.
		if s.attached || s.replayed >= r.ev.cfg.Replay {
			s.cut = true
			r.mu.Unlock()
			r.ev.cutoffs.Add(1)
			return dst, nil, ErrLagged
		}
		phase := r.phase
		r.mu.Unlock()
		n := min(readPage, r.ev.cfg.Replay-s.replayed, max)
		es, err := r.ev.store.AuditEntries(ctx, r.sale, pos, n)
		r.ev.replays.Add(1)
		if err != nil {
			return dst, nil, err
		}
		s.replayed += len(es)
		for _, e := range es {
			if b := s.view.Encode(e, phase); b != nil {
				dst = append(dst, b)
			}
			s.pos.Store(e.Seq)
		}
		r.ev.encodes.Add(int64(len(es)))
		if len(es) == 0 {
			return dst, ch, nil
		}
		return dst, closedChan, nil
	}
	s.attached = true
	end := min(r.last, pos+int64(max))
	var missing []*ringEntry
	for seq := pos + 1; seq <= end; seq++ {
		if _, ok := r.at(seq).frames[s.view.Key]; !ok {
			missing = append(missing, r.at(seq))
		}
	}
	if len(missing) > 0 {
		// Entries from before this view subscribed: encode them once,
		// outside the lock, for every later subscriber of the view.
		phase := r.phase
		r.mu.Unlock()
		frames := make([][]byte, len(missing))
		for i, m := range missing {
			frames[i] = s.view.Encode(m.entry, phase)
		}
		r.ev.encodes.Add(int64(len(missing)))
		r.mu.Lock()
		for i, m := range missing {
			if _, ok := m.frames[s.view.Key]; !ok {
				for _, f := range m.frames {
					if bytes.Equal(f, frames[i]) {
						frames[i] = f
						break
					}
				}
				m.frames[s.view.Key] = frames[i]
			}
		}
		if pos+1 < r.first { // the ring moved on meanwhile
			r.mu.Unlock()
			return dst, closedChan, nil
		}
	}
	for seq := pos + 1; seq <= end; seq++ {
		if b := r.at(seq).frames[s.view.Key]; b != nil {
			dst = append(dst, b)
		}
	}
	s.pos.Store(end)
	if end < r.last {
		ch = closedChan
	}
	r.mu.Unlock()
	return dst, ch, nil
}

// Pos returns the seq of the last entry handed out (or skipped as not
// shown to the view): the next Next starts after it.
func (s *Subscription) Pos() int64 { return s.pos.Load() }

// Close ends the subscription.
func (s *Subscription) Close() {
	r := s.room
	r.mu.Lock()
	if s.closed {
		r.mu.Unlock()
		return
	}
	s.closed = true
	delete(r.subs, s)
	if vc := r.views[s.view.Key]; vc != nil {
		if vc.n--; vc.n == 0 {
			delete(r.views, s.view.Key)
		}
	}
	if len(r.subs) == 0 {
		r.idleSince = time.Now()
	}
	r.mu.Unlock()
	r.ev.subscribers.Add(-1)
}
