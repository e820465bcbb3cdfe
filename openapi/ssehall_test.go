package openapi_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"minerights/openapi"
)

// takeOver serves the streams from their sales' halls, as serve does.
func takeOver(d *openapi.Deps) { d.Transfer.Streams.TakeOver = true }

// TestStreamTakenOver: an HTTP/1.1 event stream is served by its sale's
// hall: a plain body delimited by the connection's close (no chunked
// encoding, which the hall does not write), the stream's headers, every
// event in order; and a client that closes its connection frees its slot
// and its subscription without a write to notice it.
func TestStreamTakenOver(t *testing.T) {
	t.Parallel()
	x := newXfer(t, fast(t), 1, takeOver)
	sale := announced(x)
	conn, err := net.Dial("tcp", strings.TrimPrefix(x.urls[0], "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/sales/%d/events HTTP/1.1\r\nHost: x\r\n\r\n", sale)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("head: %d %v", res.StatusCode, res.Header)
	}
	if len(res.TransferEncoding) > 0 || !res.Close || res.ContentLength != -1 {
		t.Fatalf("the stream was not taken over by its hall: transfer-encoding %v, close %v, length %d", res.TransferEncoding, res.Close, res.ContentLength)
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
