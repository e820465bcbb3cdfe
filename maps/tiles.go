package maps

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"minerights/internal/problem"
	"minerights/registry"
)

// tileCacheControl lets a browser reuse a tile briefly and then revalidate
// it with its ETag: sale states change during a sale, so a long max-age
// would show a stale map.
const tileCacheControl = "public, max-age=10, must-revalidate"

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

// serveTile answers /tiles/{collection}/{z}/{x}/{y}.mvt.
func (m *handlers) serveTile(w http.ResponseWriter, r *http.Request) {
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
func (m *handlers) serveTileJSON(w http.ResponseWriter, r *http.Request) {
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
	base := m.baseURL(r)
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
