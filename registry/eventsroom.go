package registry

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"minerights/auction"
)

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
	class  func(AuditEntry, auction.Phase) string
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
		views := make(map[string]viewCount, len(r.views))
		for k, vc := range r.views {
			views[k] = *vc
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
		encodes := int64(0)
		opened := int64(0) // the entry whose phase differs from the one before it
		for _, e := range es {
			if next := phase.Next(e.Kind, e.Data); next != phase {
				phase, opened = next, e.Seq
			}
			re := &ringEntry{entry: e, frames: make(map[string][]byte, len(views))}
			if ready { // the first read's backlog is encoded when asked for
				encodes += encodeViews(re, views, phase)
			}
			add = append(add, re)
		}
		r.ev.encodes.Add(encodes)
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

// encodeViews encodes re's entry for each of views in phase p, once per
// class of views that read it alike, and returns how many encodings it took.
func encodeViews(re *ringEntry, views map[string]viewCount, p auction.Phase) int64 {
	var distinct [][]byte
	var byClass map[string][]byte
	n := int64(0)
	for k, vc := range views {
		if vc.class == nil {
			re.frames[k] = intern(&distinct, vc.encode(re.entry, p))
			n++
			continue
		}
		c := vc.class(re.entry, p)
		b, ok := byClass[c]
		if !ok {
			b = intern(&distinct, vc.encode(re.entry, p))
			n++
			if byClass == nil {
				byClass = make(map[string][]byte, 4)
			}
			byClass[c] = b
		}
		re.frames[k] = b
	}
	return n
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
