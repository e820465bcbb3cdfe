package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"minerights/internal/testdb"
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
	db := testdb.Seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--drain-delay", "1s"},
			func(k string) string { return map[string]string{"DATABASE_URL": db.URL}[k] }, &logs, &logs)
	}()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := servingAddr.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
	}
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
