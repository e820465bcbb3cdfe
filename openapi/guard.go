package openapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"minerights/internal/problem"
	"minerights/registry"
)

// Exposure configures what an anonymous caller can make this process spend
// and what it can make the process say about itself. The zero value is
// usable: every limit takes its default.
type Exposure struct {
	// PublicURL is the scheme, host and optional path prefix the server is
	// reached at (https://gis.example.gov.cn), written into OGC links and
	// TileJSON. Empty means the listen address over http. Never taken from
	// the request: a Host header is the client's to choose, and the tile
	// cache would hand a poisoned link to everyone after it.
	PublicURL string
	// TrustedProxies are the peers whose X-Forwarded-For is believed for the
	// client address (the per-client limit). Nobody else's is.
	TrustedProxies []netip.Prefix
	// PerClient is how many anonymous requests one client address may have
	// in flight at once; more are answered 429. Zero means
	// DefaultPerClient; negative turns the limit off.
	PerClient int
	// AnonymousBodyTimeout bounds how long an anonymous request may take to
	// send its body. Zero means DefaultAnonymousBodyTimeout.
	AnonymousBodyTimeout time.Duration
	// PublicTimeout bounds an anonymous request in all, the wait for a
	// public connection included; event streams are exempt. Zero means
	// DefaultPublicTimeout.
	PublicTimeout time.Duration
}

// Defaults of Exposure.
const (
	DefaultPerClient            = 8
	DefaultAnonymousBodyTimeout = 5 * time.Second
	DefaultPublicTimeout        = 30 * time.Second
)

// contentSecurityPolicy is sent with every HTML page: scripts, styles and
// data only from this origin (MapLibre's workers come from blob: URLs and
// its images from data: and blob: URLs), no plug-ins, and no framing by
// any other site (clickjacking a clerk's confirmation page).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; " +
	"font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

type baseURLKey struct{}

// Guard puts around h what limits and hides the service from anonymous
// callers:
//
//   - a request without an Authorization header is a public read: the
//     store serves it from the public pool (registry.PublicRead), and one
//     client address may have at most PerClient of them in flight (429);
//   - its body, if it sends one, must arrive within AnonymousBodyTimeout;
//   - links are written with the configured public URL, never the Host
//     header, and X-Forwarded-For counts only from a trusted proxy;
//   - every answer is nosniff, and every HTML page gets a
//     Content-Security-Policy that forbids framing.
//
// Health checks, event streams and /metrics are not counted against the
// per-client limit: a stream lasts as long as a page is open.
func Guard(h http.Handler, x Exposure, listenAddr string) http.Handler {
	if x.PerClient == 0 {
		x.PerClient = DefaultPerClient
	}
	if x.AnonymousBodyTimeout <= 0 {
		x.AnonymousBodyTimeout = DefaultAnonymousBodyTimeout
	}
	if x.PublicTimeout <= 0 {
		x.PublicTimeout = DefaultPublicTimeout
	}
	base := strings.TrimSuffix(x.PublicURL, "/")
	if base == "" {
		base = "http://" + listenAddr
	}
	inFlight := &clientCounts{n: map[netip.Addr]int{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w = &htmlHeaders{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), baseURLKey{}, base)
		if r.Header.Get("Authorization") == "" {
			ctx = registry.PublicRead(ctx)
			if r.ContentLength != 0 {
				// An anonymous body has no operation to go to (every write
				// needs a token): it gets seconds, not the server's minute.
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(x.AnonymousBodyTimeout))
			}
			if counted(r) {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, x.PublicTimeout)
				defer cancel()
			}
			if x.PerClient > 0 && counted(r) {
				addr := clientAddr(r, x.TrustedProxies)
				if !inFlight.enter(addr, x.PerClient) {
					w.Header().Set("Retry-After", "1")
					problem.Write(w, http.StatusTooManyRequests, fmt.Sprintf(
						"来自 %s 的未登录请求同时进行的已有 %d 个，已达上限，请等前面的请求完成后再试（Retry-After 秒后）。"+
							"too many anonymous requests in flight from this address (at most %d); retry when one has finished",
						addr, x.PerClient, x.PerClient), "")
					return
				}
				defer inFlight.leave(addr)
			}
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// counted says whether a request counts against the per-client limit.
func counted(r *http.Request) bool {
	p := r.URL.Path
	return p != "/healthz" && p != "/readyz" && p != "/metrics" && !strings.HasSuffix(p, "/events")
}

// clientCounts counts the requests in flight per client address.
type clientCounts struct {
	mu sync.Mutex
	n  map[netip.Addr]int
}

func (c *clientCounts) enter(a netip.Addr, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[a] >= limit {
		return false
	}
	c.n[a]++
	return true
}

func (c *clientCounts) leave(a netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[a]--; c.n[a] <= 0 {
		delete(c.n, a)
	}
}

// clientAddr is the address of the client: the TCP peer, or, when the peer
// is a trusted proxy, the last address in X-Forwarded-For that is not a
// trusted proxy itself (proxies append, so earlier entries are the client's
// to forge). IPv6 clients count by /64, the block one subscriber gets.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	addr := peer
	if isTrusted(peer) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			addr = a.Unmap()
			if !isTrusted(addr) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.Addr()
	}
	return addr
}

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// CheckPublicURL refuses a public URL that is not an absolute http(s) URL
// without query or fragment.
func CheckPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("public URL %q must be an absolute http or https URL such as https://gis.example.gov.cn, without query or fragment", s)
	}
	return nil
}

// baseURL is the URL the service is reached at, for links: the configured
// public URL (see Guard). A handler run without Guard (tests) writes the
// request's own host over http.
func baseURL(r *http.Request) string {
	if b, ok := r.Context().Value(baseURLKey{}).(string); ok {
		return b
	}
	return "http://" + r.Host
}

// htmlHeaders adds the Content-Security-Policy to an answer that turns out
// to be HTML, when its header is written.
type htmlHeaders struct {
	http.ResponseWriter
	wrote bool
}

func (w *htmlHeaders) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
			w.Header().Set("X-Frame-Options", "DENY")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *htmlHeaders) Write(b []byte) (int, error) {
	if !w.wrote {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", http.DetectContentType(b))
		}
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *htmlHeaders) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wrote {
			w.WriteHeader(http.StatusOK)
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *htmlHeaders) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// busyText answers a public read stopped by its statement timeout.
const busyText = "查询超过了公开查询的时限，已停止：请缩小范围（bbox、filter、limit）后重试。" +
	"the query ran past the time a public read may take and was stopped: narrow the bbox, filter or limit and retry"

// busyRetryAfter is the Retry-After of a stopped public read, seconds.
const busyRetryAfter = "5"
