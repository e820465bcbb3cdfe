// Package gen generates, deterministically, the geometry that the 2020
// Zhumadian gazette does not give: the polygons of the 11 mining rights it
// offers, the check layers their compliance is judged against (ecological
// red lines, permanent basic farmland, protected mountains, planned mining
// zones, existing mining rights), and conflict fixtures for tests.
//
// Every feature is marked "geometry_source": "generated"; none of it is
// survey data. The shapes are built in the CGCS2000 3° Gauss-Krüger plane of
// zone 38 (EPSG:4526), where the gazette's areas are measured, and written as
// CGCS2000 lon/lat with nine decimals. Each part of the output draws from its
// own seeded PCG, so the bytes are the same on every run and a change to one
// layer does not reshuffle the others.
//
// Generate is pure; WriteAll reads the seed facts and county boundaries under
// a data directory and writes the files beside them. The committed output is
// checked by this package's tests: `go test ./data/gen -update` rewrites it.
package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"minerights/geo"
)

// zone is the Gauss-Krüger zone all of Zhumadian lies in (CM 114°E).
const zone = 38

// Paths relative to the data directory.
const (
	factsFile     = "seed/parcels.json"
	countiesFile  = "layers/zhumadian-counties.geojson"
	parcelsFile   = "generated/parcels.geojson"
	redlinesFile  = "generated/redlines.geojson"
	farmlandFile  = "generated/farmland.geojson"
	mountainsFile = "generated/mountains.geojson"
	zonesFile     = "generated/mining_zones.geojson"
	rightsFile    = "generated/mining_rights.geojson"
	conflictsFile = "fixtures/conflicts.geojson"
	invalidFile   = "fixtures/invalid.json"
)

// generatedLabel is the geometry_source of every feature written here.
const generatedLabel = "generated"

// county is one county-level division, its ring projected to zone 38.
type county struct {
	code, name string
	xy         []orb.Point // open ring, metres
	box        box
}

// fact is what the generator needs of one parcel of parcels.json.
type fact struct {
	No         int    `json:"no"`
	Name       string `json:"name"`
	County     string `json:"county"`
	CountyCode string `json:"county_code"`
	AreaKM2    string `json:"area_km2"`
}

// decimals is the number of decimals the gazette gives the area with.
func (f fact) decimals() int {
	if i := strings.IndexByte(f.AreaKM2, '.'); i >= 0 {
		return len(f.AreaKM2) - i - 1
	}
	return 0
}

func parseCounties(b []byte) ([]county, error) {
	var doc struct {
		Features []struct {
			ID         string `json:"id"`
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
			Geometry struct {
				Type        string         `json:"type"`
				Coordinates [][][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("gen: counties: %w", err)
	}
	var out []county
	for _, f := range doc.Features {
		if f.Geometry.Type != "Polygon" || len(f.Geometry.Coordinates) == 0 {
			return nil, fmt.Errorf("gen: county %s: want a Polygon, got %s", f.ID, f.Geometry.Type)
		}
		var xy []orb.Point
		for _, c := range f.Geometry.Coordinates[0] {
			p := geo.Forward(zone, orb.Point(c))
			if len(xy) == 0 || xy[len(xy)-1] != p {
				xy = append(xy, p) // the source repeats vertices
			}
		}
		if len(xy) > 1 && xy[0] == xy[len(xy)-1] {
			xy = xy[:len(xy)-1]
		}
		out = append(out, county{code: f.ID, name: f.Properties.Name, xy: xy, box: bounds(xy)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("gen: counties: no features")
	}
	return out, nil
}

func parseFacts(b []byte) ([]fact, error) {
	var doc struct {
		Parcels []fact `json:"parcels"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("gen: facts: %w", err)
	}
	if len(doc.Parcels) != len(parcelPlan) {
		return nil, fmt.Errorf("gen: facts: %d parcels, want %d", len(doc.Parcels), len(parcelPlan))
	}
	for i, f := range doc.Parcels {
		if f.No != i+1 {
			return nil, fmt.Errorf("gen: facts: parcel %d at position %d", f.No, i+1)
		}
		if _, err := strconv.ParseFloat(f.AreaKM2, 64); err != nil {
			return nil, fmt.Errorf("gen: facts: parcel %d area: %w", f.No, err)
		}
	}
	return doc.Parcels, nil
}

// toLonLat converts an open zone-38 ring to a closed lon/lat ring rounded to
// the output precision.
func toLonLat(xy []orb.Point) orb.Ring {
	r := make(orb.Ring, 0, len(xy)+1)
	for _, p := range xy {
		ll := geo.Inverse(zone, p)
		r = append(r, orb.Point{round9(ll[0]), round9(ll[1])})
	}
	return append(r, r[0])
}

// toPlane converts a closed lon/lat ring back to an open zone-38 ring.
func toPlane(ll orb.Ring) []orb.Point {
	xy := make([]orb.Point, 0, len(ll))
	for _, p := range ll[:len(ll)-1] {
		xy = append(xy, geo.Forward(zone, p))
	}
	return xy
}

// formatKM2 formats an area in m² as km² with the given decimals.
func formatKM2(m2 float64, decimals int) string {
	return strconv.FormatFloat(m2/1e6, 'f', decimals, 64)
}

// Generate builds every generated file from the county boundaries (the
// GeoJSON of layers/zhumadian-counties.geojson) and the seed facts (the JSON
// of seed/parcels.json). The result maps a path relative to the data
// directory to the file's bytes:
//
//	generated/parcels.geojson         the 11 parcels
//	generated/redlines.geojson        生态保护红线
//	generated/farmland.geojson        永久基本农田
//	generated/mountains.geojson       山体保护重点保护名录 footprints
//	generated/mining_zones.geojson    规划开采区
//	generated/mining_rights.geojson   existing mining rights
//	fixtures/conflicts.geojson        conflict fixtures (not seed data)
//	fixtures/invalid.json             malformed coordinate arrays
//
// It fails if a generated parcel's area, rounded to the gazette's decimals,
// does not reproduce the gazette's figure, or if a layer cannot be placed
// under its constraints.
func Generate(counties, facts []byte) (map[string][]byte, error) {
	cs, err := parseCounties(counties)
	if err != nil {
		return nil, err
	}
	fs, err := parseFacts(facts)
	if err != nil {
		return nil, err
	}
	w := &world{counties: cs}
	parcels, err := w.makeParcels(fs)
	if err != nil {
		return nil, err
	}
	layers, err := w.makeLayers()
	if err != nil {
		return nil, err
	}
	conflicts, err := w.makeConflicts()
	if err != nil {
		return nil, err
	}
	invalid, err := w.makeInvalid()
	if err != nil {
		return nil, err
	}

	out := map[string][]byte{invalidFile: invalid}
	collections := []struct {
		name string
		fs   []feature
	}{
		{parcelsFile, parcels},
		{redlinesFile, layers.redlines},
		{farmlandFile, layers.farmland},
		{mountainsFile, layers.mountains},
		{zonesFile, layers.zones},
		{rightsFile, layers.rights},
		{conflictsFile, conflicts},
	}
	for _, c := range collections {
		b, err := encodeCollection(c.fs)
		if err != nil {
			return nil, fmt.Errorf("gen: %s: %w", c.name, err)
		}
		out[c.name] = b
	}
	return out, nil
}

// WriteAll regenerates the files under dir, the data directory: it reads
// dir/seed/parcels.json and dir/layers/zhumadian-counties.geojson, and
// writes what Generate returns, creating directories as needed. Files whose
// bytes are already right are left untouched.
func WriteAll(dir string) error {
	facts, err := os.ReadFile(filepath.Join(dir, factsFile))
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	counties, err := os.ReadFile(filepath.Join(dir, countiesFile))
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	files, err := Generate(counties, facts)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
	}
	return nil
}
