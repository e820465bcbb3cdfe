package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/registry"
)

// SaleEvent is one message of a sale's live stream: an audit entry of the
// sale. The SSE id is Seq, so a client that reconnects with Last-Event-ID
// misses nothing. Each reader sees what auction.Visible allows: outside the
// bureau bidders appear by paddle number, a sealed tender bid only as
// received until the opening, and some entries not at all.
type SaleEvent struct {
	Seq   int64           `json:"seq"`
	Kind  string          `json:"kind" example:"bid-accepted" doc:"bid-accepted, countdown-restarted, listing-closed, timed-bidding-started, sale-sold, sale-failed, ..."`
	At    time.Time       `json:"at" doc:"When it happened by the rules (a countdown closes at its deadline)"`
	Actor string          `json:"actor" doc:"Who caused it: bureau, bidder, scheduler (identities for the bureau only)"`
	Data  json.RawMessage `json:"data" doc:"The event as package auction records it"`
}

// reader is what the caller is to auction.Visible.
func (v viewer) reader() auction.Viewer {
	switch auction.RoleOf(v.actor) {
	case registry.RoleBureau:
		return auction.Viewer{Audience: auction.AudienceBureau, Actor: v.actor}
	case registry.RoleBidder:
		r := auction.Viewer{Audience: auction.AudienceBidder, Actor: v.actor}
		if v.bidder != 0 {
			r.Bidder = registry.BidderKey(v.bidder)
		}
		return r
	case registry.RolePlanner:
		return auction.Viewer{Audience: auction.AudiencePlanner, Actor: v.actor}
	}
	return auction.Viewer{Audience: auction.AudiencePublic}
}

// eventOut is what reader r sees of entry e in phase p (auction.Visible
// decides); false when r sees nothing of it.
func eventOut(e registry.AuditEntry, r auction.Viewer, p auction.Phase) (SaleEvent, auction.Level, bool) {
	view, ok := auction.Visible(e.Kind, e.Actor, e.Data, r, p)
	if !ok {
		return SaleEvent{}, auction.Nothing, false
	}
	return SaleEvent{Seq: e.Seq, Kind: e.Kind, At: e.At, Actor: view.Actor, Data: view.Data}, view.Level, true
}

// streamView is what decides how an event reads for a subscriber: its role
// and, for a bidder taking part in the sale, its own identity. Subscribers
// with equal views are handed the same bytes, encoded once per event.
type streamView struct {
	role   string // public, bidder, planner, bureau
	bidder int64  // the bidder's own id when it takes part in the sale
	actor  string // and its name in the log ("bidder#12"), which names an objection's filer
}

// streamViewOf is the caller's view of sale sl. A bidder that is not a
// participant reads as the public does; a bidder that applies while
// connected keeps that view until it reconnects (it sees less, never more).
func streamViewOf(v viewer, sl registry.Sale) streamView {
	switch r := v.reader(); r.Audience {
	case auction.AudienceBureau:
		return streamView{role: registry.RoleBureau}
	case auction.AudiencePlanner:
		return streamView{role: registry.RolePlanner}
	case auction.AudienceBidder:
		if _, ok := sl.Machine.Participant(r.Bidder); ok {
			return streamView{role: registry.RoleBidder, bidder: v.bidder, actor: v.actor}
		}
	}
	return streamView{role: "public"}
}

func (sv streamView) key() string {
	if sv.bidder != 0 {
		return sv.role + ":" + strconv.FormatInt(sv.bidder, 10) + ":" + sv.actor
	}
	return sv.role
}

// reader is the view as auction.Visible knows readers.
func (sv streamView) reader() auction.Viewer {
	switch sv.role {
	case registry.RoleBureau:
		return auction.Viewer{Audience: auction.AudienceBureau}
	case registry.RolePlanner:
		return auction.Viewer{Audience: auction.AudiencePlanner}
	case registry.RoleBidder:
		return auction.Viewer{Audience: auction.AudienceBidder, Bidder: registry.BidderKey(sv.bidder), Actor: sv.actor}
	}
	return auction.Viewer{Audience: auction.AudiencePublic}
}

// frame encodes one audit entry as a Server-Sent Event for this view in
// phase p. auction.Visible decides what the view sees; nil hides the entry
// from the view.
func (sv streamView) frame(e registry.AuditEntry, p auction.Phase) []byte {
	ev, _, ok := eventOut(e, sv.reader(), p)
	if !ok {
		return nil
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	return fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, b)
}

// class names what the bytes of e depend on for this view: auction.Visible
// shows an entry by the level its reader sees it at and nothing else, so
// views that see e at the same level are handed the same bytes (a bid reads
// the same to the public and every bidder but the one it names).
func (sv streamView) class(e registry.AuditEntry, p auction.Phase) string {
	r, ok := auction.RuleOf(e.Kind)
	if !ok { // shown whole to the bureau, to nobody else
		return "norule:" + sv.role
	}
	return r.Level(e.Data, sv.reader(), p).String()
}

func (sv streamView) registryView() registry.View {
	return registry.View{Key: sv.key(), Encode: sv.frame, Class: sv.class}
}

// eventsIn is the input of the event stream; Resolve records the client's
// address and whether it asked to resume.
type eventsIn struct {
	ID          int64 `path:"id" minimum:"1"`
	LastEventID int64 `header:"Last-Event-ID" minimum:"0" doc:"Resume after this audit sequence number"`
	After       int64 `query:"after" minimum:"0" doc:"Same as Last-Event-ID, for clients that cannot set headers"`

	addr   string
	resume bool
}

// Resolve implements huma.Resolver.
func (in *eventsIn) Resolve(ctx huma.Context) []error {
	in.addr = ctx.RemoteAddr()
	in.resume = ctx.Header("Last-Event-ID") != "" || ctx.Query("after") != ""
	return nil
}

func (s *server) registerEvents(api huma.API) {
	if st, ok := s.store.(*registry.Store); ok && s.xfer.events == nil {
		// The fan-out reads the store's audit tail itself: built here only
		// on the registry's own store (Transfer.Events otherwise).
		s.xfer.events = registry.NewEvents(st, s.xfer.hub, registry.EventsConfig{Log: s.log})
	}
	if s.met != nil {
		for _, c := range s.xfer.streams.collectors(s.xfer.events) {
			// A Metrics shared by several servers (tests) keeps the first.
			_ = s.met.registry.Register(c)
		}
	}
	register(api, huma.Operation{
		OperationID: "stream-sale-events",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/events",
		Summary:     "Live events of a sale (Server-Sent Events)",
		Description: "Every change of the sale as it happens, in any server process: bids with their paddle numbers, countdown restarts, the listing's close, timed bidding, the close and what follows. " +
			"Each message's id is the sale's audit sequence. A new stream starts with a `snapshot` event: the sale as the caller may see it (`SaleOut`), whose id is the audit sequence it reflects; " +
			"a stream resumed with Last-Event-ID (or `after`) replays what followed that id instead, up to the replay bound (2,048 entries by default; further back it starts with the snapshot, and the whole chain is at GET /api/v1/sales/{id}/audit). " +
			"A subscriber that falls more than the server's buffer behind is disconnected and resumes the same way. Bidder identities are shown to the bureau only. " +
			"Streams are limited per client address (429) and per server process (503).",
		Tags:   []string{"sales"},
		Errors: []int{http.StatusNotFound, http.StatusTooManyRequests, http.StatusServiceUnavailable},
		Responses: map[string]*huma.Response{"200": {
			Description: "An event stream: `id: <seq>`, `event: <kind>`, `data: <SaleEvent JSON>`; first `event: snapshot` with `data: <SaleOut JSON>` unless resumed",
			Content:     map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{Type: huma.TypeString}}},
		}},
	}, public, func(ctx context.Context, in *eventsIn) (*huma.StreamResponse, error) {
		release, err := s.xfer.streams.acquire(in.addr)
		if err != nil {
			return nil, err
		}
		sl, v, err := s.visibleSale(ctx, in.ID)
		if err != nil {
			release()
			return nil, err
		}
		sv := streamViewOf(v, sl)
		after := max(in.LastEventID, in.After)
		var snapshot []byte
		if !in.resume || after > sl.AuditSeq || sl.AuditSeq-after > int64(s.xfer.events.Config().Replay) {
			after = sl.AuditSeq
			b, err := json.Marshal(saleOut(sl, v, time.Now()))
			if err != nil {
				release()
				return nil, err
			}
			snapshot = fmt.Appendf(nil, "id: %d\nevent: snapshot\ndata: %s\n\n", sl.AuditSeq, b)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			snap := snapshot
			snapshot = nil // not held for the life of the stream
			// Its sale's hall serves the stream from here when the
			// connection can be taken over; else this handler does.
			if s.xfer.halls != nil && s.xfer.halls.takeOver(responseWriterOf(hctx.BodyWriter()), s.xfer.events, s.xfer.streams.writeTimeout, in.ID, after, sv, snap, release) {
				return
			}
			defer release()
			s.stream(hctx, in.ID, after, sv, snap)
		}}, nil
	})
}

// streamBatch is how many events one write carries at most.
const streamBatch = 256

// stream sends the snapshot, if any, and then every entry after `after` as
// the process's fan-out hands it over, until the client leaves, falls too
// far behind, or the process drains.
func (s *server) stream(hctx huma.Context, id, after int64, sv streamView, snapshot []byte) {
	ctx := hctx.Context()
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	w := hctx.BodyWriter()
	rc := http.NewResponseController(responseWriterOf(w))
	// The server's ReadTimeout would end the stream (its deadline stays on
	// the connection and the background read cancels the request).
	_ = rc.SetReadDeadline(time.Time{})
	sub, err := s.xfer.events.Subscribe(id, after, sv.registryView(), func() {
		// Cut off: end a write blocked on a stalled client now.
		_ = rc.SetWriteDeadline(time.Now())
	})
	if err != nil {
		return
	}
	defer sub.Close()
	st := s.xfer.streams
	write := func(frames ...[]byte) bool {
		st.slots <- struct{}{}
		defer func() { <-st.slots }()
		for _, f := range frames {
			// The deadline is for each frame: a batch may be larger than
			// the socket takes at once from a client that does read.
			_ = rc.SetWriteDeadline(time.Now().Add(st.writeTimeout))
			if _, err := w.Write(f); err != nil {
				return false
			}
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 2000\n\n"), snapshot) {
		return
	}
	snapshot = nil
	keepAlive := time.NewTimer(streamKeepAlive)
	defer keepAlive.Stop()
	var frames [][]byte
	for {
		var wait <-chan struct{}
		frames, wait, err = sub.Next(ctx, frames[:0], streamBatch)
		if err != nil {
			// A subscriber cut off (registry.ErrLagged) resumes with
			// Last-Event-ID; the fan-out counts it.
			if !errors.Is(err, registry.ErrLagged) && !errors.Is(err, registry.ErrEventsClosed) && ctx.Err() == nil {
				s.log.Error("event stream", "sale", id, "err", err)
			}
			return
		}
		if len(frames) > 0 {
			if !write(frames...) {
				return
			}
			keepAlive.Reset(streamKeepAlive)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.life.Done():
			return
		case <-wait:
		case <-keepAlive.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
			keepAlive.Reset(streamKeepAlive)
		}
	}
}

// streamKeepAlive is how long a stream may stay silent: proxies close idle
// connections.
const streamKeepAlive = 15 * time.Second

// responseWriterOf lets http.ResponseController find the flusher behind
// huma's body writer.
func responseWriterOf(w io.Writer) http.ResponseWriter {
	if rw, ok := w.(http.ResponseWriter); ok {
		return rw
	}
	return nopWriter{w}
}

type nopWriter struct{ io.Writer }

func (nopWriter) Header() http.Header { return http.Header{} }
func (nopWriter) WriteHeader(int)     {}
