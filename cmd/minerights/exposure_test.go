package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"minerights/data/gen"
	"minerights/registry/registrytest"
)

var metricsURL = regexp.MustCompile(`msg=metrics url=(http://127\.0\.0\.1:\d+/metrics)`)

// startServe runs `minerights serve` in this process with args and returns
// its base URL and its logs.
func startServe(t *testing.T, db registrytest.DB, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	base, done, logs := serveIn(t, ctx, db, args...)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	if base == "" {
		t.Fatalf("server did not start: %s", logs.String())
	}
	return base, logs
}

// serveIn runs serve on a free port of 127.0.0.1 until ctx ends, and
// returns its base URL once it listens ("" if it did not start within 15
// s), what run returns, and its logs.
func serveIn(t *testing.T, ctx context.Context, db registrytest.DB, args ...string) (string, <-chan error, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...),
			func(k string) string { return map[string]string{"DATABASE_URL": db.URL}[k] }, logs, logs)
	}()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := servingAddr.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], done, logs
		}
	}
	return "", done, logs
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestExposure (issue 10, finding 9): what the public listener says about
// the service. Links come from the configured public URL whatever Host and
// X-Forwarded-Proto say; /metrics is not on the public listener but on its
// own; HTML pages forbid framing and inline scripts, and nothing is sniffed.
func TestExposure(t *testing.T) {
	db := registrytest.Seeded(t)
	const public = "https://gis.example.gov.cn/minerights"
	base, logs := startServe(t, db, "--public-url", public, "--metrics-addr", "127.0.0.1:0")

	t.Run("links use the public URL, not Host", func(t *testing.T) {
		forged := []string{"Host", "evil.example", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example"}
		for _, path := range []string{"/ogc", "/ogc/collections/parcels/items?limit=1", "/tiles/parcels.json"} {
			res, b := get(t, base+path, forged...)
			if res.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, res.StatusCode, b)
			}
			if strings.Contains(string(b), "evil.example") {
				t.Fatalf("%s copies the Host header into its links: %s", path, b)
			}
			if !strings.Contains(string(b), public+"/") {
				t.Fatalf("%s has no link under %s: %s", path, public, b)
			}
		}
	})

	t.Run("metrics only on their own listener", func(t *testing.T) {
		if res, _ := get(t, base+"/metrics"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("/metrics on the public listener: %d, want 404", res.StatusCode)
		}
		m := metricsURL.FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("no metrics listener logged: %s", logs.String())
		}
		res, b := get(t, m[1])
		if res.StatusCode != 200 || !strings.Contains(string(b), `minerights_db_pool_max_conns{pool="public"} 2`) ||
			!strings.Contains(string(b), `minerights_db_pool_max_conns{pool="bid"} 16`) {
			t.Fatalf("metrics listener: %d\n%s", res.StatusCode, b)
		}
	})

	t.Run("HTML pages carry a CSP that forbids framing", func(t *testing.T) {
		for _, path := range []string{"/", "/docs", "/ogc?f=html", "/ogc/collections/parcels/items?f=html&limit=2"} {
			res, b := get(t, base+path)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
				t.Fatalf("%s: CSP %q", path, csp)
			}
			if strings.Contains(string(b), "<script>") {
				t.Fatalf("%s has an inline script the CSP would block", path)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("%s: X-Content-Type-Options %q", path, res.Header.Get("X-Content-Type-Options"))
			}
		}
		res, _ := get(t, base+"/api/v1/parcels")
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Security-Policy") != "" {
			t.Fatalf("JSON answer: nosniff %q, CSP %q", res.Header.Get("X-Content-Type-Options"), res.Header.Get("Content-Security-Policy"))
		}
	})
}

// TestAnonymousBodyTimeout (issue 10, finding 9): an anonymous client that
// starts a body and stops sending holds its connection for seconds, not
// the server's minute.
func TestAnonymousBodyTimeout(t *testing.T) {
	db := registrytest.Seeded(t)
	base, _ := startServe(t, db)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /api/v1/parcels HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"name\":")
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401 before the body is read", res.StatusCode)
	}
	var p struct {
		Detail string `json:"detail"`
	}
	_ = json.NewDecoder(res.Body).Decode(&p)
	// The server now waits for the rest of the body (to reuse the
	// connection) only as long as an anonymous body may take.
	buf := make([]byte, 1)
	_, err = conn.Read(buf)
	if err == nil {
		t.Fatal("connection still open and answering")
	}
	if held := time.Since(start); held > 10*time.Second {
		t.Fatalf("the stalled anonymous body held the connection %v", held)
	}
}

// TestPublicStatementTimeout (issue 10, finding 3): an anonymous query
// that outlasts the public pool's statement timeout is a 503 problem that
// says how to narrow it, never a 500; the same read with a token runs on
// the bid pool, which has no such timeout, and anonymous reads never take
// it.
func TestPublicStatementTimeout(t *testing.T) {
	db := registrytest.Seeded(t)
	bureau, err := db.Store.CreateToken(context.Background(), "bureau", "登记科", 0)
	if err != nil {
		t.Fatal(err)
	}
	base, logs := startServe(t, db, "--public-statement-timeout", "1ms")
	path := "/ogc/collections/counties/items?filter=" + url.QueryEscape(gen.DisjointFilter(700))
	res, b := get(t, base+path)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(b), "缩小范围") || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
		t.Fatalf("anonymous costly read: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	res, b = get(t, base+path, "Authorization", "Bearer "+bureau)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the same read with a token: %d %s", res.StatusCode, b)
	}
	if res, _ := get(t, base+"/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d", res.StatusCode)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("errors logged:\n%s", logs.String())
	}
}
