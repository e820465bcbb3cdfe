package main

import (
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestRead: events split across reads at any byte, comments, retry hints
// and an event larger than the read buffer all arrive whole, in order.
func TestRead(t *testing.T) {
	big := strings.Repeat("补", 10_000)
	stream := "retry: 2000\n\nid: 7\nevent: snapshot\ndata: {\"x\":\"" + big + "\"}\n\n: keep-alive\n\n" +
		"id: 8\nevent: bid-accepted\ndata: {\"seq\":8,\"at\":\"2026-03-02T10:00:00.123456+08:00\"}\n\nid: 9\nevent: notice-published\ndata: {}\n\n"
	var got []string
	read(iotest.OneByteReader(strings.NewReader(stream)), func(id int64, kind, data []byte, _ time.Time) {
		got = append(got, fmt.Sprintf("%d %s %d", id, kind, len(data)))
	})
	want := []string{fmt.Sprintf("7 snapshot %d", len(big)+8), "8 bid-accepted 49", "9 notice-published 2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	var c atCache
	at, ok := c.get(8, []byte(`{"seq":8,"at":"2026-03-02T10:00:00.123456+08:00"}`))
	again, ok2 := c.get(8, []byte(`{"at":"not read again"}`))
	if !ok || !ok2 || at != again || time.Unix(0, at).UTC().Format(time.RFC3339Nano) != "2026-03-02T02:00:00.123456Z" {
		t.Fatalf("bid time %v %v, again %v %v", time.Unix(0, at), ok, time.Unix(0, again), ok2)
	}
}
