package openapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"minerights/registry"
)

// TestClientAddr: X-Forwarded-For names the client only behind a trusted
// proxy, and then its last hop that is not a trusted proxy.
func TestClientAddr(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff, want string
	}{
		{"direct client", "198.51.100.9:4000", "", "198.51.100.9"},
		{"direct client forging the header", "198.51.100.9:4000", "203.0.113.1", "198.51.100.9"},
		{"through a trusted proxy", "10.1.2.3:4000", "203.0.113.1", "203.0.113.1"},
		{"forged first hop behind the proxy", "10.1.2.3:4000", "1.2.3.4, 203.0.113.1", "203.0.113.1"},
		{"two trusted proxies", "192.0.2.7:4000", "203.0.113.1, 10.9.9.9", "203.0.113.1"},
		{"IPv6 counts by /64", "[2001:db8:1:2:3:4:5:6]:4000", "", "2001:db8:1:2::"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if got := clientAddr(r, trusted); got != netip.MustParseAddr(tc.want) {
				t.Fatalf("client %v, want %s", got, tc.want)
			}
		})
	}
	if _, err := ParseProxies("10.0.0.0/8,not-an-address"); err == nil {
		t.Fatal("a bad proxy was accepted")
	}
}

// TestGuardPerClient: one address gets PerClient anonymous requests in
// flight and a 429 problem beyond; a request with a token and a health
// check are not counted; anonymous requests are public reads.
func TestGuardPerClient(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan bool, 10)
	h := Guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- registry.IsPublicRead(r.Context())
		if r.URL.Path == "/slow" {
			<-release
		}
	}), Exposure{PerClient: 2}, "127.0.0.1:1")
	do := func(path, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = "198.51.100.9:4000"
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); do("/slow", "") }()
	}
	for range 2 {
		if !<-entered {
			t.Fatal("an anonymous request is not a public read")
		}
	}
	w := do("/slow", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "请") {
		t.Fatalf("third anonymous request: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	if w := do("/readyz", ""); w.Code != http.StatusOK {
		t.Fatalf("readyz counted against the limit: %d", w.Code)
	}
	<-entered
	if w := do("/fast", "tok"); w.Code != http.StatusOK {
		t.Fatalf("a request with a token counted against the limit: %d", w.Code)
	}
	if <-entered {
		t.Fatal("a request with a token is a public read")
	}
	close(release)
	wg.Wait()
	if w := do("/fast", ""); w.Code != http.StatusOK {
		t.Fatalf("after the slow ones ended: %d", w.Code)
	}
}
