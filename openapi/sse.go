package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/registry"
)

// SaleEvent is one message of a sale's live stream: an audit entry of the
// sale. The SSE id is Seq, so a client that reconnects with Last-Event-ID
// misses nothing. Outside the bureau, bidder identities are removed from
// Data: bidders appear by paddle number.
type SaleEvent struct {
	Seq   int64           `json:"seq"`
	Kind  string          `json:"kind" example:"bid-accepted" doc:"bid-accepted, countdown-restarted, listing-closed, timed-bidding-started, sale-sold, sale-failed, ..."`
	At    time.Time       `json:"at" doc:"When it happened by the rules (a countdown closes at its deadline)"`
	Actor string          `json:"actor" doc:"Who caused it: bureau, bidder, scheduler (identities for the bureau only)"`
	Data  json.RawMessage `json:"data" doc:"The event as package auction records it"`
}

// redact removes every "bidder" and "by" member from an event's JSON,
// recursively: other bidders and the public see paddle numbers only.
func redact(raw json.RawMessage) json.RawMessage {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(`{}`)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			delete(t, "bidder")
			delete(t, "by")
			for k, e := range t {
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		}
		return x
	}
	b, _ := json.Marshal(walk(v))
	return b
}

func roleOf(actor string) string {
	for i := range actor {
		if actor[i] == '#' {
			return actor[:i]
		}
	}
	return actor
}

func eventOut(e registry.AuditEntry, bureau bool) SaleEvent {
	ev := SaleEvent{Seq: e.Seq, Kind: e.Kind, At: e.At, Actor: e.Actor, Data: e.Data}
	if !bureau {
		ev.Actor, ev.Data = roleOf(e.Actor), redact(e.Data)
		if e.Kind == (auction.BidderDisqualified{}).Kind() {
			// The reason for refusing a bidder (资格审核) is for that
			// bidder (its own `you.rejection`) and the bureau only.
			ev.Data = withoutReason(ev.Data)
		}
	}
	return ev
}

// withoutReason removes the top-level "reason" of an event's data.
func withoutReason(raw json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return json.RawMessage(`{}`)
	}
	delete(m, "reason")
	b, _ := json.Marshal(m)
	return b
}

func (s *server) registerEvents(api huma.API) {
	type eventsIn struct {
		ID          int64 `path:"id" minimum:"1"`
		LastEventID int64 `header:"Last-Event-ID" minimum:"0" doc:"Resume after this audit sequence number"`
		After       int64 `query:"after" minimum:"0" doc:"Same as Last-Event-ID, for clients that cannot set headers"`
	}
	register(api, huma.Operation{
		OperationID: "stream-sale-events",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/events",
		Summary:     "Live events of a sale (Server-Sent Events)",
		Description: "Every change of the sale as it happens, in any server process: bids with their paddle numbers, countdown restarts, the listing's close, timed bidding, the close and what follows. " +
			"Each message's id is the sale's audit sequence; reconnect with Last-Event-ID to resume without a gap. Bidder identities are shown to the bureau only.",
		Tags:   []string{"sales"},
		Errors: []int{http.StatusNotFound},
		Responses: map[string]*huma.Response{"200": {
			Description: "An event stream: `id: <seq>`, `event: <kind>`, `data: <SaleEvent JSON>`",
			Content:     map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{Type: huma.TypeString}}},
		}},
	}, public, func(ctx context.Context, in *eventsIn) (*huma.StreamResponse, error) {
		_, v, err := s.visibleSale(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		after := max(in.LastEventID, in.After)
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			s.stream(hctx, in.ID, after, v.bureau)
		}}, nil
	})
}

// stream sends the sale's audit entries after `after` and then every new
// one, woken by the hub (or a poll when there is none), until the client
// leaves or the process drains.
func (s *server) stream(hctx huma.Context, id, after int64, bureau bool) {
	ctx := hctx.Context()
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	w := hctx.BodyWriter()
	rc := http.NewResponseController(responseWriterOf(w))
	var wake <-chan struct{}
	poll := time.Second
	if s.xfer.hub != nil {
		c, stop := s.xfer.hub.Subscribe(id)
		defer stop()
		wake, poll = c, 15*time.Second
	}
	if _, err := io.WriteString(w, "retry: 2000\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	for {
		entries, err := s.store.AuditEntries(ctx, id, after, 500)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("event stream", "sale", id, "err", err)
			}
			return
		}
		for _, e := range entries {
			b, _ := json.Marshal(eventOut(e, bureau))
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, b); err != nil {
				return
			}
			after = e.Seq
		}
		if len(entries) == 500 {
			continue
		}
		if len(entries) == 0 {
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.life.Done():
			t.Stop()
			return
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

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
