package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"minerights/registry/registrytest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingAddr = regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)

// TestServeDrains: on shutdown /readyz fails during the drain delay, then
// the server stops cleanly.
func TestServeDrains(t *testing.T) {
	db := registrytest.Seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done, logs := serveIn(t, ctx, db, "--drain-delay", "1s")
	if base == "" {
		t.Fatalf("server did not start: %s", logs.String())
	}
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status("/readyz"); s != 200 {
		t.Fatalf("ready: %d", s)
	}
	// Only 2026 ships: from 2026 on, next year's calendar is missing, and
	// serve says so and how to load it, and stays ready.
	next := time.Now().In(shanghai).Year() + 1
	if want := fmt.Sprintf("the working-day calendar for %d is not loaded", next); !strings.Contains(logs.String(), want) ||
		!strings.Contains(logs.String(), "minerights calendar load") || !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("no warning %q in the logs:\n%s", want, logs.String())
	}
	if s := status("/api/v1/parcels"); s != 200 {
		t.Fatalf("parcels: %d", s)
	}
	cancel()
	time.Sleep(300 * time.Millisecond)
	if s := status("/readyz"); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %d, want 503", s)
	}
	if s := status("/healthz"); s != 200 {
		t.Fatalf("healthz while draining: %d", s)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	if status("/healthz") != 0 {
		t.Fatal("server still answers after stopping")
	}
}

func TestMissingCalendarYears(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		have []int
		now  string
		want []int
	}{
		{[]int{2026}, "2026-11-30T10:00:00Z", []int{2027}},
		{[]int{2026, 2027}, "2026-11-30T10:00:00Z", nil},
		{[]int{2026}, "2026-12-31T16:00:00Z", []int{2027, 2028}}, // already 2027 in Shanghai
		{[]int{2026}, "2026-03-01T00:00:00Z", []int{2027}},
		{nil, "2026-03-01T00:00:00Z", []int{2026, 2027}},
	} {
		if got := missingCalendarYears(tc.have, at(tc.now)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%v at %s: %v, want %v", tc.have, tc.now, got, tc.want)
		}
	}
}
