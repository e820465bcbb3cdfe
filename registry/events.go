package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
type View struct {
	Key    string
	Encode func(AuditEntry, auction.Phase) []byte
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
		r.views[v.Key] = &viewCount{n: 1, encode: v.Encode}
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

// room is one sale's entries in memory and its subscribers.
type room struct {
	ev   *Events
	sale int64

	mu sync.Mutex
	// ready is set after the first read; until then nothing is known.
	ready bool
	done  bool
	// ring holds entries first..last at index seq % len(ring): a sale's
	// audit sequence has no gaps.
	ring        []*ringEntry
	first, last int64
	// changed is closed and replaced whenever entries arrive.
	changed   chan struct{}
	subs      map[*Subscription]struct{}
	views     map[string]*viewCount
	idleSince time.Time
	// phase is the sale's as of entry last: read from the sale before the
	// first read, moved on by the entries read since (the close opens sealed
	// bids).
	phase auction.Phase
}

type ringEntry struct {
	entry  AuditEntry
	frames map[string][]byte
}

type viewCount struct {
	n      int
	encode func(AuditEntry, auction.Phase) []byte
}

func (r *room) at(seq int64) *ringEntry { return r.ring[seq%int64(len(r.ring))] }

// run reads the sale's new entries on every wake-up until the room has
// been idle for cfg.Idle or the fan-out closes.
func (r *room) run(ctx context.Context) {
	defer r.ev.wg.Done()
	var wake <-chan struct{}
	if r.ev.hub != nil {
		c, stop := r.ev.hub.Subscribe(r.sale)
		defer stop()
		wake = c
	}
	backoff := time.Duration(0)
	for {
		read := time.Now()
		if err := r.read(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			r.ev.log.Warn("live events: read", "sale", r.sale, "err", err)
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
		} else {
			backoff = 0
		}
		wait := r.ev.cfg.Poll
		if backoff > 0 {
			wait = backoff
		}
		if r.retire() {
			return
		}
		t := time.NewTimer(min(wait, r.ev.cfg.Idle))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-wake:
			t.Stop()
			if d := r.gather() - time.Since(read); d > 0 {
				g := time.NewTimer(d)
				select {
				case <-ctx.Done():
				case <-g.C:
				}
				g.Stop()
			}
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.ev.mu.Lock()
	if r.ev.rooms[r.sale] == r {
		delete(r.ev.rooms, r.sale)
	}
	r.ev.mu.Unlock()
	r.mu.Lock()
	r.done = true
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// gather is the least time between two reads for the room's subscribers.
func (r *room) gather() time.Duration {
	cfg := r.ev.cfg
	if cfg.Gather < 0 {
		return 0
	}
	r.mu.Lock()
	n := len(r.subs)
	r.mu.Unlock()
	return min(max(cfg.Gather, time.Duration(n)*cfg.GatherPerSubscriber), max(cfg.MaxGather, cfg.Gather))
}

// retire removes an idle room and reports whether it did.
func (r *room) retire() bool {
	r.ev.mu.Lock()
	defer r.ev.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.subs) > 0 || time.Since(r.idleSince) < r.ev.cfg.Idle {
		return false
	}
	delete(r.ev.rooms, r.sale)
	r.done = true
	return true
}

// read fetches the entries after the last one held (the latest Buffer on
// the first read), encodes each for the views subscribed now, appends them
// and wakes the subscribers; subscribers left behind are cut off.
func (r *room) read(ctx context.Context) error {
	for {
		r.mu.Lock()
		ready, after, phase := r.ready, r.last, r.phase
		views := make(map[string]func(AuditEntry, auction.Phase) []byte, len(r.views))
		for k, vc := range r.views {
			views[k] = vc.encode
		}
		r.mu.Unlock()
		var es []AuditEntry
		var err error
		if ready {
			es, err = r.ev.store.AuditEntries(ctx, r.sale, after, readPage)
		} else {
			// The phase is read before the entries, so it is never later
			// than theirs would allow; the entries move it on.
			var sl Sale
			if sl, err = r.ev.store.GetSale(ctx, r.sale); err == nil {
				phase = auction.PhaseOf(sl.Machine)
				es, err = r.ev.store.auditTail(ctx, r.sale, len(r.ring))
			}
		}
		r.ev.reads.Add(1)
		if err != nil {
			return err
		}
		r.ev.entries.Add(int64(len(es)))
		add := make([]*ringEntry, 0, len(es))
		opened := int64(0) // the entry whose phase differs from the one before it
		for _, e := range es {
			if next := phase.Next(e.Kind, e.Data); next != phase {
				phase, opened = next, e.Seq
			}
			re := &ringEntry{entry: e, frames: make(map[string][]byte, len(views))}
			if ready { // the first read's backlog is encoded when asked for
				var distinct [][]byte
				for k, enc := range views {
					re.frames[k] = intern(&distinct, enc(e, phase))
				}
			}
			add = append(add, re)
		}
		if ready {
			r.ev.encodes.Add(int64(len(es) * len(views)))
		}
		var cut []func()
		r.mu.Lock()
		if !r.ready && len(add) > 0 {
			r.first, r.last = add[0].entry.Seq, add[0].entry.Seq-1
		}
		for _, re := range add {
			if re.entry.Seq != r.last+1 {
				r.mu.Unlock()
				return fmt.Errorf("entry %d follows %d", re.entry.Seq, r.last)
			}
			r.ring[re.entry.Seq%int64(len(r.ring))] = re
			r.last = re.entry.Seq
			if r.last-r.first >= int64(len(r.ring)) {
				r.first = r.last - int64(len(r.ring)) + 1
			}
		}
		if !r.ready && len(add) == 0 {
			r.first, r.last = after+1, after
		}
		r.ready = true
		r.phase = phase
		if opened != 0 {
			// The close opened sealed bids: the entries before it were
			// encoded as sealed; they are encoded again, when asked for, as
			// the opened phase shows them.
			for seq := r.first; seq < opened && seq <= r.last; seq++ {
				r.at(seq).frames = make(map[string][]byte)
			}
		}
		if len(add) > 0 {
			for s := range r.subs {
				if s.attached && !s.cut && s.pos.Load()+1 < r.first {
					s.cut = true
					r.ev.cutoffs.Add(1)
					if s.onCut != nil {
						cut = append(cut, s.onCut)
					}
				}
			}
		}
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
		for _, f := range cut {
			f()
		}
		if !ready || len(es) < readPage {
			return nil
		}
	}
}

// intern returns b, or an equal slice already in distinct, so that views
// that read an entry alike share one copy in memory (a bidder's own view
// differs from the public one only where the entry names it).
func intern(distinct *[][]byte, b []byte) []byte {
	for _, d := range *distinct {
		if bytes.Equal(d, b) {
			return d
		}
	}
	if b != nil {
		*distinct = append(*distinct, b)
	}
	return b
}

// auditTail returns a sale's latest n entries, in order.
func (s *Store) auditTail(ctx context.Context, saleID int64, n int) ([]AuditEntry, error) {
	out, err := s.queryEntries(ctx, `WHERE sale_id = $1 AND seq > (SELECT audit_seq FROM sale WHERE id = $1) - $2 ORDER BY seq LIMIT $2`, saleID, n)
	if err != nil {
		return nil, fmt.Errorf("registry: audit tail of sale %d: %w", saleID, err)
	}
	return out, nil
}
