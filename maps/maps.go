// Package maps serves the map layers: OGC API - Features under /ogc (with
// the compilation of its bbox and CQL2 filters into SQL conditions), vector
// tiles and their cache under /tiles, and the web map's server side at /
// with the verdict summary it colours parcels by. It reads the store only
// through the small interfaces of store.go; the store runs the SQL.
package maps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/internal/problem"
	"minerights/registry"
)

// Config configures the map layers.
type Config struct {
	// TileCacheBytes bounds the in-process tile cache. Zero means
	// DefaultTileCacheBytes; negative turns the cache off (tiles are still
	// generalised).
	TileCacheBytes int64
	// Basemap is the web map's optional base map; off when its URL is empty.
	Basemap Basemap
}

// DefaultTileCacheBytes is the tile cache's default budget.
const DefaultTileCacheBytes = 256 << 20

// overviewTimeout bounds one round of building layer overviews.
const overviewTimeout = 10 * time.Minute

// Server serves the map layers. It caches the collection list and tiles
// only while Run's change listener is connected; a change notification
// drops the entries of the collection it names in this process, and a
// reconnect drops everything, since notifications may have been missed
// meanwhile. Without Run nothing is cached: every request reads the
// database, which is always current.
type Server struct {
	store   Store
	log     *slog.Logger
	basemap Basemap

	live    atomic.Bool   // the listener is connected: caching is safe
	epoch   atomic.Uint64 // bumped on every reset
	mu      sync.Mutex
	topics  map[string]*atomic.Uint64
	catalog atomic.Pointer[catalogEntry]

	tiles *tileCache
	// kick asks Run's overview builder for a round; a kick while one is
	// pending is dropped, as the pending round will see the same layers.
	kick chan struct{}
}

type catalogEntry struct {
	version uint64
	list    []registry.Collection
}

// New makes the map layers on store. It starts nothing: Run keeps the
// caches current and builds layer overviews; until it runs, nothing is
// cached. log may be nil (slog.Default).
func New(store Store, log *slog.Logger, cfg Config) *Server {
	if log == nil {
		log = slog.Default()
	}
	m := &Server{store: store, log: log, basemap: cfg.Basemap, topics: map[string]*atomic.Uint64{}, kick: make(chan struct{}, 1)}
	budget := cfg.TileCacheBytes
	if budget == 0 {
		budget = DefaultTileCacheBytes
	}
	if budget > 0 {
		m.tiles = newTileCache(budget)
	}
	return m
}

// Run listens for map changes (LISTEN map_changed and layer_changed) on a
// connection of its own and builds missing layer overviews when layers
// change, until ctx ends; it returns after both have stopped. While it runs
// and its connection is up, the collection list and tiles are cached. A
// listener that stops on an error is logged and returned.
func (m *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { m.buildOverviews(ctx) })
	err := m.store.WatchMaps(ctx, watcher{m})
	m.live.Store(false)
	cancel()
	wg.Wait()
	if err != nil {
		m.log.Error("map change listener stopped", "err", err)
	}
	return err
}

// buildOverviews builds missing layer overviews each time it is kicked;
// another process may be building them, which the registry's lock sorts
// out.
func (m *Server) buildOverviews(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		}
		bctx, cancel := context.WithTimeout(ctx, overviewTimeout)
		built, err := m.store.BuildOverviews(bctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			m.log.Error("layer overviews", "err", err)
		case len(built) > 0:
			m.log.Info("layer overviews built", "layers", built)
		}
	}
}

func (m *Server) kickOverviews() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *Server) topic(name string) *atomic.Uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.topics[name]
	if !ok {
		t = new(atomic.Uint64)
		m.topics[name] = t
	}
	return t
}

// version is the state of a topic: a cached entry made under another
// version is stale.
func (m *Server) version(topic string) uint64 {
	return m.epoch.Load()<<32 | m.topic(topic).Load()&0xffffffff
}

// watcher receives the store's change notifications for a Server; it keeps
// the registry.MapWatcher methods off the Server's own API.
type watcher struct{ m *Server }

var _ registry.MapWatcher = watcher{}

// Changed implements registry.MapWatcher.
func (w watcher) Changed(topic string) {
	w.m.topic(topic).Add(1)
	if topic == "*catalog" {
		// A new layer version, or an overview built: both change what
		// tiles a layer's name stands for.
		w.m.epoch.Add(1)
		w.m.kickOverviews()
	}
}

// Reset implements registry.MapWatcher.
func (w watcher) Reset() {
	w.m.epoch.Add(1)
	if w.m.tiles != nil {
		w.m.tiles.clear()
	}
	w.m.live.Store(true)
	w.m.kickOverviews()
}

// Lost implements registry.MapWatcher.
func (w watcher) Lost(err error) {
	w.m.live.Store(false)
	w.m.epoch.Add(1)
	if !errors.Is(err, context.Canceled) {
		w.m.log.Warn("map change listener lost; caching paused until it reconnects", "err", err)
	}
}

// collections returns the collection list, from cache while that is safe.
func (m *Server) collections(ctx context.Context) ([]registry.Collection, error) {
	v := m.version("*catalog")
	if c := m.catalog.Load(); c != nil && m.live.Load() && c.version == v {
		return c.list, nil
	}
	list, err := m.store.MapCollections(ctx)
	if err != nil {
		return nil, err
	}
	m.catalog.Store(&catalogEntry{version: v, list: list})
	return list, nil
}

// collection finds one collection by id.
func (m *Server) collection(ctx context.Context, id string) (registry.Collection, error) {
	list, err := m.collections(ctx)
	if err != nil {
		return registry.Collection{}, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.ID
	}
	return registry.Collection{}, &notFound{"no collection " + strconv.Quote(id) + "; there are " + strings.Join(names, ", ")}
}

type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }

// The answers of a read the database could not serve, in the words of the
// HTTP API's own 503s.
const (
	// busyText answers a public read stopped by its statement timeout.
	busyText = "查询超过了公开查询的时限，已停止：请缩小范围（bbox、filter、limit）后重试。" +
		"the query ran past the time a public read may take and was stopped: narrow the bbox, filter or limit and retry"
	// busyRetryAfter is the Retry-After of a stopped public read, seconds.
	busyRetryAfter = "5"
	// retryAfter is the Retry-After while the database is unreachable.
	retryAfter = "2"
)

// fail maps an error of the map layers to a problem: bad input is a 400
// naming the parameter, a missing collection or feature a 404, and
// anything else a 500 that says only "internal error".
func (m *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ve *registry.ValidationError
	var nf *notFound
	switch {
	case errors.As(err, &ve):
		problem.Write(w, http.StatusBadRequest, "invalid "+ve.Field+": "+ve.Reason, "query."+ve.Field)
	case errors.As(err, &nf):
		problem.Write(w, http.StatusNotFound, nf.msg, "path")
	case errors.Is(err, registry.ErrNotFound):
		problem.Write(w, http.StatusNotFound, "no such feature", "path.featureId")
	case errors.Is(err, context.Canceled):
		w.WriteHeader(499)
	case errors.Is(err, registry.ErrBusy), errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", busyRetryAfter)
		problem.Write(w, http.StatusServiceUnavailable, busyText, "query")
	case errors.Is(err, registry.ErrUnavailable):
		w.Header().Set("Retry-After", retryAfter)
		problem.Write(w, http.StatusServiceUnavailable, "the database is unavailable; retry shortly", "")
	default:
		m.log.ErrorContext(r.Context(), "internal error", "path", r.URL.Path, "err", err)
		problem.Write(w, http.StatusInternalServerError, "internal error", "")
	}
}

func badParam(field, format string, args ...any) error {
	return &registry.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Deps are what the map layers take from the HTTP API they are mounted
// beside.
type Deps struct {
	// Server serves the layers; nil makes one on Store with the default
	// configuration and no change listener (nothing is cached).
	Server *Server
	// Store is read when Server is nil.
	Store Store
	// Log is the logger of a Server made here; nil is slog.Default.
	Log *slog.Logger
	// BaseURL is the URL the service is reached at, for links and TileJSON.
	BaseURL func(*http.Request) string
	// Role is the caller's role; ok is false for an anonymous caller.
	Role func(context.Context) (role string, ok bool)
	// RegisterPublic registers the verdicts operation as a public operation
	// of the API, with the API's access rule and error mapping.
	RegisterPublic func(huma.API, huma.Operation, func(context.Context, *VerdictsInput) (*VerdictsOutput, error))
}

// Register adds the map layers: OGC API - Features under /ogc, vector
// tiles under /tiles and the web map at / on mux, and the verdict summary
// the web map colours parcels by on api. The first are plain handlers, not
// huma operations: their bodies are GeoJSON written by PostGIS, HTML and
// binary tiles, negotiated by f= and Accept as OGC API asks; their errors
// are the same RFC 9457 problems.
func Register(mux *http.ServeMux, api huma.API, d Deps) {
	m := d.Server
	if m == nil {
		m = New(d.Store, d.Log, Config{})
	}
	h := &handlers{Server: m, baseURL: d.BaseURL, role: d.Role}
	if h.baseURL == nil {
		h.baseURL = func(r *http.Request) string { return "http://" + r.Host }
	}
	if h.role == nil {
		h.role = func(context.Context) (string, bool) { return "", false }
	}
	mux.HandleFunc("GET /ogc", h.landing)
	mux.HandleFunc("GET /ogc/{$}", h.landing)
	mux.HandleFunc("GET /ogc/conformance", h.conformance)
	mux.HandleFunc("GET /ogc/api", h.apiDefinition)
	mux.HandleFunc("GET /ogc/collections", h.collectionsDoc)
	mux.HandleFunc("GET /ogc/collections/{collection}", h.collectionOne)
	mux.HandleFunc("GET /ogc/collections/{collection}/queryables", h.queryables)
	mux.HandleFunc("GET /ogc/collections/{collection}/items", h.items)
	mux.HandleFunc("GET /ogc/collections/{collection}/items/{featureId}", h.item)
	mux.HandleFunc("GET /tiles/{file}", h.serveTileJSON)
	mux.HandleFunc("GET /tiles/{collection}/{z}/{x}/{y}", h.serveTile)
	registerWebMap(mux, m.basemap)
	if d.RegisterPublic != nil {
		d.RegisterPublic(api, verdictsOperation(), h.verdicts)
	}
}

// handlers are a Server's HTTP handlers with what they borrow from the
// API: its base URL for links and the caller's role.
type handlers struct {
	*Server
	baseURL func(*http.Request) string
	role    func(context.Context) (string, bool)
}
