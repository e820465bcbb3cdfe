package openapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"minerights/internal/problem"
	"minerights/registry"
)

// Maps configures the map layers: OGC API - Features at /ogc, vector tiles
// at /tiles and the web map at /.
type Maps struct {
	// Context, when set, runs the listener that keeps the collection list
	// and the tile cache current in this process (LISTEN map_changed) until
	// it ends. Without it nothing is cached: every request reads the
	// database, which is always current.
	Context context.Context
	// TileCacheBytes bounds the in-process tile cache. Zero means
	// DefaultTileCacheBytes; negative turns the cache off (tiles are still
	// generalised).
	TileCacheBytes int64
	// Basemap is the web map's optional base map; off when its URL is empty.
	Basemap Basemap
}

// DefaultTileCacheBytes is the tile cache's default budget.
const DefaultTileCacheBytes = 256 << 20

// tileCacheControl lets a browser reuse a tile briefly and then revalidate
// it with its ETag: sale states change during a sale, so a long max-age
// would show a stale map.
const tileCacheControl = "public, max-age=10, must-revalidate"

// maps serves the map layers. It caches the collection list and tiles only
// while its change listener is connected; a change notification drops the
// entries of the collection it names in this process, and a reconnect
// drops everything, since notifications may have been missed meanwhile.
type maps struct {
	store MapLayers
	log   *slog.Logger

	live    atomic.Bool   // the listener is connected: caching is safe
	epoch   atomic.Uint64 // bumped on every reset
	mu      sync.Mutex
	topics  map[string]*atomic.Uint64
	catalog atomic.Pointer[catalogEntry]

	tiles    *tileCache
	building atomic.Bool
}

type catalogEntry struct {
	version uint64
	list    []registry.Collection
}

func newMaps(store MapLayers, log *slog.Logger, cfg Maps) *maps {
	m := &maps{store: store, log: log, topics: map[string]*atomic.Uint64{}}
	budget := cfg.TileCacheBytes
	if budget == 0 {
		budget = DefaultTileCacheBytes
	}
	if budget > 0 {
		m.tiles = newTileCache(budget)
	}
	if cfg.Context != nil && store != nil {
		go func() {
			if err := store.WatchMaps(cfg.Context, m); err != nil {
				log.Error("map change listener stopped", "err", err)
			}
			m.live.Store(false)
		}()
	}
	return m
}

func (m *maps) topic(name string) *atomic.Uint64 {
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
func (m *maps) version(topic string) uint64 {
	return m.epoch.Load()<<32 | m.topic(topic).Load()&0xffffffff
}

// Changed implements registry.MapWatcher.
func (m *maps) Changed(topic string) {
	m.topic(topic).Add(1)
	if topic == "*catalog" {
		// A new layer version, or an overview built: both change what
		// tiles a layer's name stands for.
		m.epoch.Add(1)
		m.kickOverviews()
	}
}

// Reset implements registry.MapWatcher.
func (m *maps) Reset() {
	m.epoch.Add(1)
	if m.tiles != nil {
		m.tiles.clear()
	}
	m.live.Store(true)
	m.kickOverviews()
}

// Lost implements registry.MapWatcher.
func (m *maps) Lost(err error) {
	m.live.Store(false)
	m.epoch.Add(1)
	if !errors.Is(err, context.Canceled) {
		m.log.Warn("map change listener lost; caching paused until it reconnects", "err", err)
	}
}

// kickOverviews builds missing layer overviews in the background; another
// process may be building them, which the registry's lock sorts out.
func (m *maps) kickOverviews() {
	if !m.building.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer m.building.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		built, err := m.store.BuildOverviews(ctx)
		if err != nil {
			m.log.Error("layer overviews", "err", err)
		} else if len(built) > 0 {
			m.log.Info("layer overviews built", "layers", built)
		}
	}()
}

// collections returns the collection list, from cache while that is safe.
func (m *maps) collections(ctx context.Context) ([]registry.Collection, error) {
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
func (m *maps) collection(ctx context.Context, id string) (registry.Collection, error) {
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

// tileKey names a cached tile.
type tileKey struct {
	collection string
	z, x, y    int
}

// tile is a cut tile with its ETag and, once asked for, its gzip form.
type tile struct {
	version uint64
	body    []byte
	etag    string
	gzOnce  sync.Once
	gz      []byte
}

func (t *tile) gzipped() []byte {
	t.gzOnce.Do(func() {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		_, _ = w.Write(t.body)
		_ = w.Close()
		t.gz = b.Bytes()
	})
	return t.gz
}

func (t *tile) size() int64 { return int64(len(t.body)+len(t.gz)) + 128 }

// tileCache is a byte-bounded map; when full it drops entries in Go's
// random map order, which for tiles is as good as LRU and costs nothing on
// a hit.
type tileCache struct {
	mu     sync.RWMutex
	budget int64
	used   int64
	m      map[tileKey]*tile
}

func newTileCache(budget int64) *tileCache {
	return &tileCache{budget: budget, m: map[tileKey]*tile{}}
}

func (c *tileCache) get(k tileKey, version uint64) *tile {
	c.mu.RLock()
	t := c.m[k]
	c.mu.RUnlock()
	if t == nil || t.version != version {
		return nil
	}
	return t
}

func (c *tileCache) put(k tileKey, t *tile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[k]; old != nil {
		c.used -= old.size()
	}
	c.m[k] = t
	c.used += t.size()
	for k2, t2 := range c.m {
		if c.used <= c.budget {
			break
		}
		if k2 != k {
			delete(c.m, k2)
			c.used -= t2.size()
		}
	}
}

func (c *tileCache) clear() {
	c.mu.Lock()
	c.m = map[tileKey]*tile{}
	c.used = 0
	c.mu.Unlock()
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// fail maps an error of the map layers to a problem: bad input is a 400
// naming the parameter, a missing collection or feature a 404, and
// anything else a 500 that says only "internal error".
func (m *maps) fail(w http.ResponseWriter, r *http.Request, err error) {
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

// serveTile answers /tiles/{collection}/{z}/{x}/{y}.mvt.
func (m *maps) serveTile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("collection")
	z, errZ := strconv.Atoi(r.PathValue("z"))
	x, errX := strconv.Atoi(r.PathValue("x"))
	ys, ok := strings.CutSuffix(r.PathValue("y"), ".mvt")
	y, errY := strconv.Atoi(ys)
	switch {
	case errZ != nil:
		m.fail(w, r, badParam("z", "zoom %q is not a whole number", r.PathValue("z")))
		return
	case errX != nil:
		m.fail(w, r, badParam("x", "column %q is not a whole number", r.PathValue("x")))
		return
	case !ok:
		m.fail(w, r, badParam("y", "the tile must be named {y}.mvt, found %q", r.PathValue("y")))
		return
	case errY != nil:
		m.fail(w, r, badParam("y", "row %q is not a whole number", ys))
		return
	}
	if err := registry.ValidTile(z, x, y); err != nil {
		m.fail(w, r, err)
		return
	}
	key := tileKey{name, z, x, y}
	// The version is read before the database: a change committed while
	// the tile is cut bumps it, so the tile is stored under a version no
	// request will ask for again.
	version := m.version(name)
	var t *tile
	if m.tiles != nil && m.live.Load() {
		t = m.tiles.get(key, version)
	}
	cacheStatus := "hit"
	if t == nil {
		cacheStatus = "miss"
		c, err := m.collection(r.Context(), name)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		body, err := m.store.Tile(r.Context(), c, z, x, y, registry.TileOptions{Generalise: true})
		if err != nil {
			m.fail(w, r, err)
			return
		}
		t = &tile{version: version, body: body, etag: etagOf(body)}
		if m.tiles != nil && m.live.Load() {
			m.tiles.put(key, t)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Cache-Control", tileCacheControl)
	h.Set("ETag", t.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Tile-Cache", cacheStatus)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, t.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := t.body
	if len(body) > 0 && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = t.gzipped()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func etagMatches(header, etag string) bool {
	for _, e := range strings.Split(header, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || strings.TrimPrefix(e, "W/") == etag {
			return true
		}
	}
	return false
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.TrimSpace(params)
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// serveTileJSON answers /tiles/{collection}.json with TileJSON 3.0.
func (m *maps) serveTileJSON(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok {
		problem.Write(w, http.StatusNotFound, "tiles are at /tiles/{collection}/{z}/{x}/{y}.mvt and their TileJSON at /tiles/{collection}.json", "path")
		return
	}
	c, err := m.collection(r.Context(), name)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	fields := map[string]string{}
	for _, p := range c.TileProperties() {
		if q, ok := c.Queryable(p); ok {
			fields[p] = q.Title
		}
	}
	if c.Features >= registry.OverviewMinFeatures {
		fields["generalised"] = "true on the merged shapes drawn at zoom " + strconv.Itoa(registry.OverviewMaxZoom) + " and below"
	}
	base := baseURL(r)
	b := c.Extent
	if b == (orb.Bound{}) {
		b.Min, b.Max = [2]float64{-180, -85.05}, [2]float64{180, 85.05}
	}
	doc := map[string]any{
		"tilejson":    "3.0.0",
		"name":        c.Title,
		"description": c.Description,
		"scheme":      "xyz",
		"tiles":       []string{base + "/tiles/" + c.ID + "/{z}/{x}/{y}.mvt"},
		"minzoom":     0,
		"maxzoom":     registry.MaxZoom,
		"bounds":      []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]},
		"center":      []float64{(b.Min[0] + b.Max[0]) / 2, (b.Min[1] + b.Max[1]) / 2, 9},
		"vector_layers": []map[string]any{{
			"id": c.ID, "description": c.Title, "fields": fields, "minzoom": 0, "maxzoom": registry.MaxZoom,
		}},
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_ = json.NewEncoder(w).Encode(doc)
}

// registerMaps adds the map layers to mux: OGC API - Features under /ogc,
// vector tiles under /tiles and the web map at /. They are plain handlers,
// not huma operations: their bodies are GeoJSON written by PostGIS, HTML
// and binary tiles, negotiated by f= and Accept as OGC API asks; their
// errors are the same RFC 9457 problems.
func (s *server) registerMaps(mux *http.ServeMux, cfg Maps) {
	m := newMaps(s.store, s.log, cfg)
	mux.HandleFunc("GET /ogc", m.landing)
	mux.HandleFunc("GET /ogc/{$}", m.landing)
	mux.HandleFunc("GET /ogc/conformance", m.conformance)
	mux.HandleFunc("GET /ogc/api", m.apiDefinition)
	mux.HandleFunc("GET /ogc/collections", m.collectionsDoc)
	mux.HandleFunc("GET /ogc/collections/{collection}", m.collectionOne)
	mux.HandleFunc("GET /ogc/collections/{collection}/queryables", m.queryables)
	mux.HandleFunc("GET /ogc/collections/{collection}/items", m.items)
	mux.HandleFunc("GET /ogc/collections/{collection}/items/{featureId}", m.item)
	mux.HandleFunc("GET /tiles/{file}", m.serveTileJSON)
	mux.HandleFunc("GET /tiles/{collection}/{z}/{x}/{y}", m.serveTile)
	registerWebMap(mux, cfg.Basemap)
}
