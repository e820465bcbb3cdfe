package maps

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/paulmach/orb"

	"minerights/registry"
	"minerights/web"
)

// Basemap is an optional raster base map under the web map, from a tile
// server the bureau configures (its own, or one it has a licence for). It is
// off unless URL is set: by default the map fetches nothing from another
// host.
type Basemap struct {
	// URL is an XYZ tile template with {z}, {x} and {y}, e.g.
	// https://tiles.example.gov.cn/{z}/{x}/{y}.png.
	URL string
	// Attribution is shown in the map's corner when the base map is on.
	Attribution string
	// MaxZoom is the deepest zoom the server has; 0 means 18.
	MaxZoom int
}

// CheckBasemapURL reports what is wrong with a base-map URL template, or nil.
func CheckBasemapURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("base map URL %q must be an http(s) URL", s)
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(s, p) {
			return fmt.Errorf("base map URL %q lacks %s: give an XYZ template such as https://host/{z}/{x}/{y}.png", s, p)
		}
	}
	return nil
}

// webMapConfig is what the page reads at start from /map/config.json.
type webMapConfig struct {
	Basemap *webMapBasemap `json:"basemap"`
}

type webMapBasemap struct {
	Tiles       []string `json:"tiles"`
	Attribution string   `json:"attribution"`
	MaxZoom     int      `json:"maxzoom"`
}

// registerWebMap serves the map at / and its files under /map/.
func registerWebMap(mux *http.ServeMux, bm Basemap) {
	files := web.Static()
	static := http.StripPrefix("/map/", http.FileServerFS(files))
	mux.Handle("GET /map/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change only with the binary; a day's caching is safe
		// and revalidation is cheap (Last-Modified of the embed).
		w.Header().Set("Cache-Control", "public, max-age=3600")
		static.ServeHTTP(w, r)
	}))
	cfg := webMapConfig{}
	if bm.URL != "" {
		cfg.Basemap = &webMapBasemap{Tiles: []string{bm.URL}, Attribution: bm.Attribution, MaxZoom: bm.MaxZoom}
		if cfg.Basemap.MaxZoom <= 0 {
			cfg.Basemap.MaxZoom = 18
		}
	}
	conf, _ := json.Marshal(cfg)
	mux.HandleFunc("GET /map/config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(conf)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, files, "index.html")
	})
}

// Verdict scopes: which parcels' verdicts a caller sees.
const (
	scopeAll       = "all"
	scopeAnnounced = "announced"
)

// VerdictsOut is the latest compliance verdict of each parcel the caller may
// see, for the map.
type VerdictsOut struct {
	Role  string          `json:"role" enum:"public,bureau,planner,bidder" doc:"The caller's role; public when anonymous"`
	Scope string          `json:"scope" enum:"all,announced" doc:"all: every parcel with a report (bureau, planner); announced: only parcels announced or later, as the public map layers show them"`
	Items []ParcelVerdict `json:"items"`
}

// ParcelVerdict is the latest compliance verdict of one parcel on the wire:
// what the map colours the parcel by. It is made from the store's
// registry.ParcelVerdict by parcelVerdictOf.
type ParcelVerdict struct {
	ParcelID   int64     `json:"parcel_id"`
	GazetteNo  *int      `json:"gazette_no"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Verdict    string    `json:"verdict" enum:"pass,warn,fail"`
	Stale      bool      `json:"stale" doc:"A layer, a rule or the parcel changed since the report"`
	ReportedAt time.Time `json:"reported_at"`
}

func parcelVerdictOf(v registry.ParcelVerdict) ParcelVerdict {
	return ParcelVerdict{ParcelID: v.ParcelID, GazetteNo: v.GazetteNo, Name: v.Name, Status: v.Status, Verdict: v.Verdict,
		Stale: v.Stale, ReportedAt: v.ReportedAt}
}

// VerdictsInput is the query of the verdicts operation.
type VerdictsInput struct {
	BBox  string `query:"bbox" doc:"minLon,minLat,maxLon,maxLat (CRS84); absent: every parcel" example:"113.2,32.6,114.2,33.2"`
	Limit int    `query:"limit" minimum:"1" maximum:"10000" default:"10000"`
}

// VerdictsOutput is the answer of the verdicts operation.
type VerdictsOutput struct {
	Body VerdictsOut
}

// verdictsOperation is the verdict summary the web map colours parcels by.
// It is public, and the caller's role decides what it returns: the bureau
// and planners see every parcel's latest verdict, everyone else only those
// of announced parcels — the rule the tiles and OGC items keep, since
// those are cached and shared between callers.
func verdictsOperation() huma.Operation {
	return huma.Operation{
		OperationID: "list-compliance-verdicts",
		Method:      http.MethodGet,
		Path:        "/api/v1/compliance/verdicts",
		Summary:     "Latest compliance verdict per parcel, as the caller may see it",
		Description: "For the map: the bureau and planners get every parcel's latest verdict (with `stale`); anyone else only the verdicts of parcels announced or later, like the parcels map layer.",
		Tags:        []string{"compliance"},
		Errors:      []int{http.StatusBadRequest},
	}
}

func (m *handlers) verdicts(ctx context.Context, in *VerdictsInput) (*VerdictsOutput, error) {
	f := registry.VerdictFilter{Limit: in.Limit}
	if in.BBox != "" {
		b, err := parseLonLatBox(in.BBox)
		if err != nil {
			return nil, huma.Error400BadRequest("bbox 无效: "+err.Error(), &huma.ErrorDetail{Location: "query.bbox", Message: err.Error(), Value: in.BBox})
		}
		f.BBox = &b
	}
	out := &VerdictsOutput{Body: VerdictsOut{Role: "public", Scope: scopeAnnounced}}
	if role, ok := m.role(ctx); ok {
		out.Body.Role = role
		if role == registry.RoleBureau || role == registry.RolePlanner {
			out.Body.Scope, f.Unannounced = scopeAll, true
		}
	}
	items, err := m.store.LatestVerdicts(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, v := range items {
		out.Body.Items = append(out.Body.Items, parcelVerdictOf(v))
	}
	if out.Body.Items == nil && items != nil {
		out.Body.Items = []ParcelVerdict{}
	}
	return out, nil
}

// parseLonLatBox reads minLon,minLat,maxLon,maxLat in degrees.
func parseLonLatBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, fmt.Errorf("需要 4 个数: 最小经度,最小纬度,最大经度,最大纬度 (got %d)", len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, fmt.Errorf("第 %d 个数 %q 不是数字", i+1, p)
		}
		v[i] = f
	}
	if v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return orb.Bound{}, fmt.Errorf("经度须在 -180..180, 纬度须在 -90..90")
	}
	if v[0] > v[2] || v[1] > v[3] {
		return orb.Bound{}, fmt.Errorf("最小值大于最大值")
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}
