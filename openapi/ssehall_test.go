package openapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"minerights/internal/apitest"
	"minerights/openapi"
)

// takeOver serves the streams from their sales' halls, as serve does
// (newXfer runs them).
func takeOver(d *openapi.Deps) { d.Transfer.Halls = openapi.NewHalls(d.Lifecycle, d.Logger) }

// TestStreamTakenOver: an HTTP/1.1 event stream is served by its sale's
// hall: a plain body delimited by the connection's close (no chunked
// encoding, which the hall does not write), the stream's headers, every
// event in order; and a client that closes its connection frees its slot
// and its subscription without a write to notice it.
func TestStreamTakenOver(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 1, takeOver)
	sale := announced(x)
	conn, res := apitest.TakenOverStream(t, x.urls[0], fmt.Sprintf("/api/v1/sales/%d/events", sale))
	if res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("head: %d %v", res.StatusCode, res.Header)
	}
	head := notices(x, sale, 5, 300)
	var evs []sseEvent
	scanEvents(res.Body, func(ev sseEvent) bool {
		evs = append(evs, ev)
		return ev.id < head
	})
	inOrder(t, "taken-over stream", evs, 0, head)
	if st := x.events[0].Stats(); st.Subscribers != 1 {
		t.Fatalf("%d subscribers, want 1", st.Subscribers)
	}
	conn.Close()
	for end := time.Now().Add(10 * time.Second); x.events[0].Stats().Subscribers != 0; {
		if time.Now().After(end) {
			t.Fatalf("a closed stream is still subscribed: %+v", x.events[0].Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hallGoroutines counts the goroutines running a hall or reading a
// taken-over stream's connection.
func hallGoroutines() int {
	buf := make([]byte, 4<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "minerights/openapi.(*hall).run") || strings.Contains(g, "minerights/openapi.(*Halls).join.func") {
			n++
		}
	}
	return n
}

// TestHallsEndWithRun: the halls' goroutines (one per sale, one reading
// each stream) belong to Run: when its context ends (without a drain) it
// closes every stream and returns only after all of them have returned;
// from then on a stream is served by its own handler.
func TestHallsEndWithRun(t *testing.T) {
	x := newXfer(t, fast(t), 1)
	sale := announced(x)
	halls := openapi.NewHalls(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- halls.Run(ctx) }()
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{Store: x.db.Store, Transfer: openapi.Transfer{Events: x.events[0], Halls: halls,
		Streams: openapi.StreamLimits{WriteTimeout: 10 * time.Second}}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	before := hallGoroutines()

	var streams []io.Reader
	for range 2 {
		_, res := apitest.TakenOverStream(t, srv.URL, fmt.Sprintf("/api/v1/sales/%d/events", sale))
		streams = append(streams, res.Body)
	}
	// The head is written before the stream joins its hall: wait for it.
	for end := time.Now().Add(10 * time.Second); hallGoroutines()-before != 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d hall goroutines for one sale's two streams, want 3 (the hall and a reader each)", hallGoroutines()-before)
		}
	}

	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return within 10 s of its context's end (%d hall goroutines)", hallGoroutines())
	}
	// At once: Run returned after every goroutine of its halls.
	if n := hallGoroutines() - before; n != 0 {
		t.Fatalf("%d hall goroutines left when Run returned", n)
	}
	for i, body := range streams {
		if _, err := io.ReadAll(body); err != nil {
			t.Errorf("stream %d was not closed: %v", i, err)
		}
	}
	// A stream after the halls stopped is its handler's (chunked).
	res, err := http.Get(fmt.Sprintf("%s/api/v1/sales/%d/events", srv.URL, sale))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || len(res.TransferEncoding) == 0 {
		t.Fatalf("after Run: %d, transfer-encoding %v; want a stream served by its handler", res.StatusCode, res.TransferEncoding)
	}
	if err := halls.Run(context.Background()); err == nil {
		t.Error("a second Run did not refuse")
	}
}
