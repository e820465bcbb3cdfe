package openapi_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"minerights/openapi"
)

func TestWrap(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	m := openapi.NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, openapi.RequestID(r.Context()))
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		}
	})
	mux.Handle("GET /metrics", m.Handler())
	h := openapi.Wrap(mux, log, m)

	cases := []struct {
		name, method, path, reqID string
		body                      io.Reader
		status                    int
		keepID                    bool
	}{
		{"sane id kept", "GET", "/ok", "abc-123", nil, 200, true},
		{"id with a newline replaced", "GET", "/ok", "abc\ninjected", nil, 200, false},
		{"overlong id replaced", "GET", "/ok", strings.Repeat("a", 65), nil, 200, false},
		{"panic is a problem 500", "GET", "/panic", "", nil, 500, false},
		{"body over the limit", "POST", "/echo", "", bytes.NewReader(make([]byte, openapi.MaxBodyBytes+1)), 413, false},
		{"unmatched route", "GET", "/nowhere", "", nil, 404, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, tc.body)
			if tc.reqID != "" {
				req.Header.Set("X-Request-ID", tc.reqID)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			id := rec.Header().Get("X-Request-ID")
			if tc.keepID != (id == tc.reqID) || id == "" || strings.ContainsAny(id, "\n\r") {
				t.Fatalf("request id %q for %q", id, tc.reqID)
			}
			if tc.path == "/ok" && rec.Body.String() != id {
				t.Fatalf("handler saw id %q, response says %q", rec.Body.String(), id)
			}
			if tc.status == 500 && (!strings.Contains(rec.Header().Get("Content-Type"), "problem+json") || strings.Contains(rec.Body.String(), "boom")) {
				t.Fatalf("panic answer %q %s", rec.Header().Get("Content-Type"), rec.Body)
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`minerights_http_requests_total{code="200",method="GET",route="GET /ok"} 3`,
		`minerights_http_requests_total{code="500",method="GET",route="GET /panic"} 1`,
		`minerights_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"request"`); n != len(cases)+1 { // and /metrics
		t.Errorf("%d request log lines, want %d", n, len(cases)+1)
	}
}

// TestDocsOffline: the docs page and its assets come from the binary.
func TestDocsOffline(t *testing.T) {
	mux := http.NewServeMux()
	openapi.New(mux, openapi.Deps{})
	for path, want := range map[string]string{
		"/docs":                      "swagger-ui-bundle.js",
		"/docs/swagger-ui-bundle.js": "SwaggerUIBundle",
		"/docs/swagger-ui.css":       ".swagger-ui",
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d, body lacks %q", path, rec.Code, want)
		}
		if strings.Contains(rec.Body.String(), "https://unpkg.com") || strings.Contains(rec.Body.String(), "cdn.jsdelivr") {
			t.Errorf("%s loads from a CDN", path)
		}
	}
}
