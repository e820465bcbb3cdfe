package openapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"minerights/internal/problem"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxBodyBytes bounds every request body, whatever the handler; huma
// operations set limits of their own (1 MiB unless they say otherwise),
// applied while the body is read (checkBody), after authentication.
const MaxBodyBytes = 8 << 20

// Metrics are the HTTP metrics every handler reports.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	bids     *prometheus.CounterVec
	registry *prometheus.Registry
}

// NewMetrics registers the HTTP metrics and the Go runtime metrics on a
// registry of their own, so that two servers in one test process do not
// collide.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minerights_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "minerights_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "minerights_http_in_flight_requests", Help: "HTTP requests being served.",
		}),
		bids: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minerights_bids_total", Help: "Bid requests by outcome: accepted, replayed (idempotent retry), refused (by the rules), rate_limited, error.",
		}, []string{"outcome"}),
		registry: reg,
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.bids,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// bid counts one bid request's outcome; a nil Metrics counts nothing.
func (m *Metrics) bid(outcome string) {
	if m != nil {
		m.bids.WithLabelValues(outcome).Inc()
	}
}

// Register adds further collectors (pool, bids) to the metrics registry.
func (m *Metrics) Register(cs ...prometheus.Collector) { m.registry.MustRegister(cs...) }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

type requestIDKey struct{}

type arrivalKey struct{}

// arrivedAt is when the request reached the process (Wrap's first
// instruction), by the monotonic clock; now when Wrap did not run.
func arrivedAt(ctx context.Context) time.Time {
	if t, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return t
	}
	return time.Now()
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// saneID accepts a caller's X-Request-ID only when it cannot smuggle
// anything into logs.
var saneID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records the status and size a handler writes. It passes
// Flush through so Server-Sent Events still stream.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// checkBody reads the body of an operation that takes one, after routing
// and authentication (so an anonymous or unknown request never makes the
// process hold a body), up to the operation's own MaxBodyBytes: a longer
// body is 413 as soon as the limit is passed. A JSON body must be UTF-8
// (RFC 8259): Go's decoder would silently turn bad bytes into U+FFFD and
// store a name nobody typed. The body read is handed on to huma.
func checkBody(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		r, _ := humago.Unwrap(ctx)
		if op == nil || op.RequestBody == nil || r == nil || r.Body == nil || r.Body == http.NoBody {
			next(ctx)
			return
		}
		limit := op.MaxBodyBytes
		if limit <= 0 {
			limit = MaxBodyBytes
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err == nil && int64(len(body)) > limit {
			err = &http.MaxBytesError{Limit: limit}
		}
		if err != nil {
			var tooLarge *http.MaxBytesError
			var ne net.Error
			status, msg := http.StatusBadRequest, "无法读取请求体，请重新发送；未作任何更改"
			switch {
			case errors.As(err, &tooLarge):
				status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("请求体超过本操作的上限 %d 字节，未作任何更改", tooLarge.Limit)
			case errors.As(err, &ne) && ne.Timeout():
				status, msg = http.StatusRequestTimeout, "请求体未能及时送达，请重新发送；未作任何更改"
			}
			_ = huma.WriteErr(api, ctx, status, msg)
			return
		}
		if strings.Contains(ctx.Header("Content-Type"), "json") && !utf8.Valid(body) {
			_ = huma.WriteErr(api, ctx, http.StatusBadRequest, "JSON 请求体不是有效的 UTF-8 文本，未作任何更改；请以 UTF-8 发送（GBK 只用于国土 TXT 文件）")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(ctx)
	}
}

// Wrap puts the cross-cutting concerns around h: a request id (kept from a
// sane X-Request-ID or made), a body size limit, recovery from panics as a
// problem+json 500, one structured log line per request, and metrics.
func Wrap(h http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !saneID.MatchString(id) {
			id = newID()
		}
		w.Header().Set("X-Request-ID", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		r = r.WithContext(context.WithValue(ctx, arrivalKey{}, start))
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		sw := &statusWriter{ResponseWriter: w}
		m.inFlight.Inc()
		defer func() {
			m.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "request_id", id, "method", r.Method, "path", r.URL.Path, "panic", p)
				if sw.status == 0 {
					problem.Write(sw, http.StatusInternalServerError, "internal error", "")
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			elapsed := time.Since(start)
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
			m.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			switch {
			case code == http.StatusServiceUnavailable:
				level = slog.LevelWarn // shed load or a database away: said to the client, not a fault here
			case code >= 500:
				level = slog.LevelError
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", code), slog.Int64("bytes", sw.bytes), slog.Duration("duration", elapsed))
		}()
		if !cleanURL(sw, r) {
			return
		}
		h.ServeHTTP(sw, r)
	})
}
