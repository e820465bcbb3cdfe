package gen

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"minerights/geo"
)

var update = flag.Bool("update", false, "rewrite the generated files under data/ and stressmask.go")

// dataDir is the data directory, seen from this package's directory.
const dataDir = ".."

func readData(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var generateOnce = sync.OnceValues(func() (map[string][]byte, error) {
	c, err := os.ReadFile(filepath.Join(dataDir, countiesFile))
	if err != nil {
		return nil, err
	}
	f, err := os.ReadFile(filepath.Join(dataDir, factsFile))
	if err != nil {
		return nil, err
	}
	return Generate(c, f)
})

// generated returns this run's output of Generate from the committed inputs.
func generated(t *testing.T) map[string][]byte {
	t.Helper()
	m, err := generateOnce()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// poly is one parsed output feature.
type poly struct {
	props map[string]any
	ll    orb.Ring    // as written, closed
	xy    []orb.Point // open, zone 38
}

func (p poly) str(k string) string {
	s, _ := p.props[k].(string)
	return s
}

func (p poly) num(k string) float64 {
	n, _ := p.props[k].(float64)
	return n
}

func parsePolys(t *testing.T, b []byte) []poly {
	t.Helper()
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []poly
	for i, f := range fc.Features {
		pg, ok := f.Geometry.(orb.Polygon)
		if !ok || len(pg) != 1 {
			t.Fatalf("feature %d: want a one-ring Polygon, got %T", i, f.Geometry)
		}
		r := pg[0]
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Fatalf("feature %d: ring not closed or too short", i)
		}
		out = append(out, poly{props: f.Properties, ll: r, xy: toPlane(r)})
	}
	return out
}

func parsedLayer(t *testing.T, name string) []poly {
	t.Helper()
	return parsePolys(t, generated(t)[name])
}

func testCounties(t *testing.T) map[string]*county {
	t.Helper()
	cs, err := parseCounties(readData(t, countiesFile))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*county{}
	for i := range cs {
		m[cs[i].code] = &cs[i]
	}
	return m
}

func testFacts(t *testing.T) []fact {
	t.Helper()
	fs, err := parseFacts(readData(t, factsFile))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestGenerateIsDeterministicAndCommitted(t *testing.T) {
	first := generated(t)
	second, err := Generate(readData(t, countiesFile), readData(t, factsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(first, second, bytes.Equal) {
		t.Fatal("two runs of Generate differ")
	}
	if *update {
		if err := WriteAll(dataDir); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(first)) {
		t.Run(name, func(t *testing.T) {
			b := first[name]
			disk, err := os.ReadFile(filepath.Join(dataDir, name))
			if err != nil || !bytes.Equal(disk, b) {
				t.Fatalf("data/%s is stale or missing (%v): run go test ./data/gen -update", name, err)
			}
			if !bytes.HasSuffix(b, []byte("\n")) || !json.Valid(b) {
				t.Fatal("not valid JSON ending in a newline")
			}
		})
	}
}

func TestCoordinatesHaveNineDecimals(t *testing.T) {
	num := regexp.MustCompile(`-?\d+\.\d+`)
	for _, name := range slices.Sorted(maps.Keys(generated(t))) {
		b := generated(t)[name]
		i := bytes.Index(b, []byte(`"coordinates":`))
		for i >= 0 {
			b = b[i:]
			end := bytes.IndexByte(b, '}')
			for _, m := range num.FindAll(b[:end], -1) {
				if d := len(m) - bytes.IndexByte(m, '.') - 1; d != coordDecimals {
					t.Fatalf("%s: coordinate %s has %d decimals", name, m, d)
				}
			}
			b = b[end:]
			i = bytes.Index(b, []byte(`"coordinates":`))
		}
	}
}

func TestParcels(t *testing.T) {
	facts := testFacts(t)
	counties := testCounties(t)
	ps := parsedLayer(t, parcelsFile)
	if len(ps) != len(facts) {
		t.Fatalf("%d parcels, want %d", len(ps), len(facts))
	}
	for i, f := range facts {
		p := ps[i]
		t.Run(strconv.Itoa(f.No), func(t *testing.T) {
			if p.num("no") != float64(f.No) || p.str("name") != f.Name || p.str("county") != f.County ||
				p.str("county_code") != f.CountyCode || p.str("geometry_source") != "generated" {
				t.Errorf("properties %v do not match the facts", p.props)
			}
			area := geo.AreaM2(zone, orb.MultiPolygon{{p.ll}})
			if got := formatKM2(area, f.decimals()); got != f.AreaKM2 {
				t.Errorf("area %.3f m² rounds to %s km², gazette says %s", area, got, f.AreaKM2)
			}
			if n := len(p.xy); n < 4 || n > 12 {
				t.Errorf("%d corners, want 4-12", n)
			}
			if !simple(p.xy) {
				t.Error("ring is not simple")
			}
			if signedArea(p.xy) <= 0 {
				t.Error("ring is not counter-clockwise")
			}
			if c := compactness(p.xy); c < minCompactness {
				t.Errorf("compactness %.2f < %.2f", c, minCompactness)
			}
			home := counties[f.CountyCode]
			if !within(p.xy, home.xy, 500) {
				t.Errorf("not inside %s with a 500 m margin (%.0f m from its boundary)", home.name, boundaryDist(p.xy, home.xy, math.Inf(1)))
			}
		})
	}
	t.Run("apart", func(t *testing.T) {
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				if d := polyDist(ps[i].xy, ps[j].xy); d < 1000 {
					t.Errorf("parcels %d and %d are %.0f m apart, want ≥ 1000", i+1, j+1, d)
				}
			}
		}
	})
	t.Run("pairs", func(t *testing.T) {
		for _, pair := range [][2]int{{8, 9}, {10, 11}} {
			a, b := centroid(ps[pair[0]-1].xy), centroid(ps[pair[1]-1].xy)
			if d := math.Hypot(a[0]-b[0], a[1]-b[1]); d < 2000 || d > 6000 {
				t.Errorf("parcels %d and %d are %.0f m apart, want a few km", pair[0], pair[1], d)
			}
		}
	})
	t.Run("granite in the east of 泌阳", func(t *testing.T) {
		mid := centroid(counties["411726"].xy)
		for _, p := range ps[:3] {
			if c := centroid(p.xy); c[0] <= mid[0] {
				t.Errorf("parcel %v lies west of the county's centre", p.props["no"])
			}
		}
	})
}

// layerCase describes one check layer.
type layerCase struct {
	file, prefix, kind string
}

var layerCases = []layerCase{
	{redlinesFile, "redline", kindRedline},
	{farmlandFile, "farmland", kindFarmland},
	{mountainsFile, "mountain", kindMountain},
	{zonesFile, "zone", kindZone},
	{rightsFile, "right", kindRight},
}

func TestLayers(t *testing.T) {
	counties := testCounties(t)
	parcels := parsedLayer(t, parcelsFile)
	for _, tc := range layerCases {
		t.Run(tc.prefix, func(t *testing.T) {
			fs := parsedLayer(t, tc.file)
			if len(fs) < 5 || len(fs) > 30 {
				t.Errorf("%d features, want 5-30", len(fs))
			}
			idPat := regexp.MustCompile(`^` + tc.prefix + `-\d{3}$`)
			seen := map[string]bool{}
			for _, f := range fs {
				id := f.str("id")
				if !idPat.MatchString(id) || seen[id] {
					t.Errorf("bad or repeated id %q", id)
				}
				seen[id] = true
				if f.str("kind") != tc.kind || f.str("geometry_source") != "generated" || f.str("name") == "" {
					t.Errorf("%s: properties %v", id, f.props)
				}
				if n := len(f.xy); n < 4 || n > 40 {
					t.Errorf("%s: %d vertices, want 4-40", id, n)
				}
				if !simple(f.xy) || signedArea(f.xy) <= 0 {
					t.Errorf("%s: not a simple counter-clockwise ring", id)
				}
				if c := counties[f.str("county_code")]; c == nil || !within(f.xy, c.xy, 100) {
					t.Errorf("%s: not inside county %s", id, f.str("county_code"))
				}
				if tc.prefix == "zone" {
					continue // zones hold parcels; checked below
				}
				for _, p := range parcels {
					if !disjoint(f.xy, p.xy) {
						t.Errorf("%s overlaps parcel %v", id, p.props["no"])
					} else if d := polyDist(f.xy, p.xy); d < 100 {
						t.Errorf("%s is %.0f m from parcel %v, want ≥ 100", id, d, p.props["no"])
					}
				}
			}
		})
	}
}

func TestZonesHoldEveryParcel(t *testing.T) {
	parcels := parsedLayer(t, parcelsFile)
	zones := parsedLayer(t, zonesFile)
	if len(zones) != len(zonePlan) {
		t.Fatalf("%d zones, want %d", len(zones), len(zonePlan))
	}
	held := map[int]string{}
	for i, z := range zones {
		plan := zonePlan[i]
		if z.str("id") != fmt.Sprintf("zone-%03d", i+1) || z.str("name") != plan.name {
			t.Errorf("zone %d: id %q, name %q, want %q", i+1, z.str("id"), z.str("name"), plan.name)
		}
		margin := 300.0
		if plan.tight {
			margin = zoneTightMin
		}
		list, _ := z.props["parcels"].([]any)
		if len(list) != len(plan.parcels) {
			t.Errorf("%s lists parcels %v, want %v", z.str("id"), list, plan.parcels)
		}
		for _, v := range list {
			no := int(v.(float64))
			p := parcels[no-1]
			if !within(p.xy, z.xy, margin) {
				t.Errorf("%s does not hold parcel %d with %.0f m to spare", z.str("id"), no, margin)
			}
			if held[no] != "" {
				t.Errorf("parcel %d is listed by %s and %s", no, held[no], z.str("id"))
			}
			held[no] = z.str("id")
		}
		for _, p := range parcels {
			no := int(p.num("no"))
			if !slices.ContainsFunc(list, func(v any) bool { return v == float64(no) }) && !disjoint(z.xy, p.xy) {
				t.Errorf("%s overlaps parcel %d it does not list", z.str("id"), no)
			}
		}
	}
	// All 11 must pass the check "位于规划开采区内", which the gazette states
	// for 4-11 and the compliance check requires of every parcel.
	for _, p := range parcels {
		no := int(p.num("no"))
		var inside []string
		for _, z := range zones {
			if within(p.xy, z.xy, 0) {
				inside = append(inside, z.str("id"))
			}
		}
		if held[no] == "" || !slices.Equal(inside, []string{held[no]}) {
			t.Errorf("parcel %d lies inside zones %v, listed by %q; want exactly one zone that lists it", no, inside, held[no])
		}
	}
	for _, file := range []string{redlinesFile, farmlandFile, mountainsFile} {
		for _, f := range parsedLayer(t, file) {
			for _, z := range zones {
				if !disjoint(f.xy, z.xy) {
					t.Errorf("%s overlaps planned zone %s", f.str("id"), z.str("id"))
				}
			}
		}
	}
}

// TestSetbackFeaturesBesideGranite checks that the features placed
// deliberately beside parcels 1-3 survive the tight zones drawn around them:
// still nearMin..nearMax from their parcel, outside every zone.
func TestSetbackFeaturesBesideGranite(t *testing.T) {
	parcels := parsedLayer(t, parcelsFile)
	zones := parsedLayer(t, zonesFile)
	want := map[int][]string{1: {"redline", "right"}, 2: {"farmland", "mountain"}, 3: {"redline", "farmland"}}
	for no := 1; no <= 3; no++ {
		p := parcels[no-1]
		for _, layer := range want[no] {
			var found []string
			for _, tc := range layerCases {
				if tc.prefix != layer {
					continue
				}
				for _, f := range parsedLayer(t, tc.file) {
					if d := polyDist(f.xy, p.xy); d >= nearMin-1 && d <= nearMax+1 {
						found = append(found, f.str("id"))
						for _, z := range zones {
							if !disjoint(f.xy, z.xy) {
								t.Errorf("%s, %.0f m from parcel %d, overlaps zone %s", f.str("id"), d, no, z.str("id"))
							}
						}
					}
				}
			}
			if len(found) == 0 {
				t.Errorf("no %s lies %d-%d m from parcel %d", layer, nearMin, nearMax, no)
			}
		}
	}
}

func TestRights(t *testing.T) {
	licence := regexp.MustCompile(`^C\d{22}$`)
	for _, r := range parsedLayer(t, rightsFile) {
		if !licence.MatchString(r.str("licence")) || r.str("mineral") == "" {
			t.Errorf("%s: licence %q, mineral %q", r.str("id"), r.str("licence"), r.str("mineral"))
		}
		if top, bottom := r.num("elevation_top_m"), r.num("elevation_bottom_m"); !(top > bottom) {
			t.Errorf("%s: elevation %v..%v", r.str("id"), top, bottom)
		}
	}
}

func TestSomeFeaturesWithinSetbackOfParcels(t *testing.T) {
	parcels := parsedLayer(t, parcelsFile)
	near := map[string][]string{}
	var far int
	for _, tc := range layerCases {
		if tc.prefix == "zone" {
			continue
		}
		for _, f := range parsedLayer(t, tc.file) {
			d := math.Inf(1)
			for _, p := range parcels {
				d = math.Min(d, polyDist(f.xy, p.xy))
			}
			if d >= 100 && d <= 300 {
				near[tc.prefix] = append(near[tc.prefix], f.str("id"))
			} else {
				far++
			}
		}
	}
	for _, layer := range []string{"redline", "farmland", "mountain"} {
		if len(near[layer]) == 0 {
			t.Errorf("no %s lies 100-300 m from a parcel", layer)
		}
	}
	if far < 10 {
		t.Errorf("only %d features lie farther than 300 m from every parcel", far)
	}
}

func TestChecksAgreeWithGazette(t *testing.T) {
	parcels := parsedLayer(t, parcelsFile)
	for _, file := range []string{redlinesFile, farmlandFile, mountainsFile, rightsFile} {
		for _, f := range parsedLayer(t, file) {
			for _, p := range parcels {
				if !disjoint(p.xy, f.xy) {
					t.Errorf("parcel %v overlaps %s", p.props["no"], f.str("id"))
				}
			}
		}
	}
}

// features returns every check-layer feature but the zones, by id.
func checkFeatures(t *testing.T) map[string]poly {
	t.Helper()
	m := map[string]poly{}
	for _, tc := range layerCases {
		if tc.prefix == "zone" {
			continue
		}
		for _, f := range parsedLayer(t, tc.file) {
			m[f.str("id")] = f
		}
	}
	return m
}

func TestConflictFixtures(t *testing.T) {
	counties := testCounties(t)
	features := checkFeatures(t)
	ids := slices.Sorted(maps.Keys(features))
	zones := parsedLayer(t, zonesFile)
	parcels := parsedLayer(t, parcelsFile)
	fixtures := map[string]poly{}
	for _, f := range parsedLayer(t, conflictsFile) {
		fixtures[f.str("fixture")] = f
	}

	overlaps := func(f poly) []string {
		var hit []string
		for _, id := range ids {
			if !disjoint(f.xy, features[id].xy) {
				hit = append(hit, id)
			}
		}
		return hit
	}
	elevation := func(p poly) (top, bottom float64) {
		return p.num("elevation_top_m"), p.num("elevation_bottom_m")
	}

	tests := []struct {
		key, expect string
		overlap     bool // overlaps its hits target, and nothing else
		check       func(t *testing.T, f poly)
	}{
		{"overlaps-redline", "fail", true, nil},
		{"overlaps-farmland", "fail", true, nil},
		{"overlaps-mountain", "fail", true, nil},
		{"right-3d-conflict", "fail", true, func(t *testing.T, f poly) {
			top, bottom := elevation(f)
			rt, rb := elevation(features[f.str("hits")])
			if !(bottom < rt && rb < top) {
				t.Errorf("elevation %v..%v does not overlap the right's %v..%v", top, bottom, rt, rb)
			}
		}},
		{"right-vertical-layering", "warn", true, func(t *testing.T, f poly) {
			top, bottom := elevation(f)
			rt, rb := elevation(features[f.str("hits")])
			if bottom < rt && rb < top {
				t.Errorf("elevation %v..%v overlaps the right's %v..%v", top, bottom, rt, rb)
			}
		}},
		{"crosses-county", "fail", false, func(t *testing.T, f poly) {
			total := math.Abs(signedArea(f.xy))
			a := overlapArea(counties["411726"].xy, f.xy)
			b := overlapArea(counties["411725"].xy, f.xy)
			if a < 0.2*total || b < 0.2*total {
				t.Errorf("share in 泌阳 %.2f, in 确山 %.2f; want both ≥ 0.2", a/total, b/total)
			}
		}},
		{"area-mismatch", "fail", false, nil},
		{"outside-mining-zone", "fail", false, func(t *testing.T, f poly) {
			if f.str("county_code") != "411725" {
				t.Errorf("county %s, want 411725", f.str("county_code"))
			}
			for _, z := range zones {
				if !disjoint(f.xy, z.xy) {
					t.Errorf("overlaps zone %s", z.str("id"))
				}
			}
		}},
		{"setback", "warn", false, func(t *testing.T, f poly) {
			target, ok := features[f.str("hits")]
			if !ok || !strings.HasPrefix(f.str("hits"), "redline-") {
				t.Fatalf("hits %q is not a red line", f.str("hits"))
			}
			if d := polyDist(f.xy, target.xy); d <= 0 || d > 150 {
				t.Errorf("%.0f m from %s, want (0, 150]", d, f.str("hits"))
			}
		}},
	}
	if len(fixtures) != len(tests) {
		t.Errorf("%d fixtures, want %d", len(fixtures), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			f, ok := fixtures[tc.key]
			if !ok {
				t.Fatal("missing")
			}
			if f.str("expect") != tc.expect || f.str("reason") == "" || f.str("geometry_source") != "generated" {
				t.Errorf("properties %v", f.props)
			}
			if !simple(f.xy) || signedArea(f.xy) <= 0 {
				t.Error("not a simple counter-clockwise ring")
			}
			hits := overlaps(f)
			if tc.overlap {
				target := f.str("hits")
				if !slices.Equal(hits, []string{target}) {
					t.Errorf("overlaps %v, want exactly [%s]", hits, target)
				} else {
					tx := features[target].xy
					share := overlapArea(tx, f.xy) / math.Min(math.Abs(signedArea(f.xy)), math.Abs(signedArea(tx)))
					if share < 0.2 {
						t.Errorf("covers %.0f%% of the smaller of it and %s, want a substantial overlap", 100*share, target)
					}
				}
			} else if len(hits) != 0 {
				t.Errorf("overlaps %v, want nothing", hits)
			}
			for _, p := range parcels {
				if !disjoint(f.xy, p.xy) {
					t.Errorf("overlaps parcel %v", p.props["no"])
				}
			}
			if tc.key != "crosses-county" {
				if c := counties[f.str("county_code")]; c == nil || !within(f.xy, c.xy, 500) {
					t.Errorf("not inside county %s with a 500 m margin", f.str("county_code"))
				}
			}
			stated, err := strconv.ParseFloat(f.str("area_km2"), 64)
			if err != nil {
				t.Fatal(err)
			}
			actual := geo.AreaM2(zone, orb.MultiPolygon{{f.ll}}) / 1e6
			if tc.key == "area-mismatch" {
				if r := stated / actual; r < 1.095 || r > 1.105 {
					t.Errorf("stated/actual = %.4f, want 1.10", r)
				}
			} else if math.Abs(stated-actual) > 0.00005 {
				t.Errorf("stated %.4f km², geometry %.6f km²", stated, actual)
			}
			if top, bottom := elevation(f); !(top > bottom) {
				t.Errorf("elevation %v..%v", top, bottom)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func TestInvalidFixtures(t *testing.T) {
	var doc struct {
		Fixtures []struct {
			Fixture     string         `json:"fixture"`
			Expect      string         `json:"expect"`
			Reason      string         `json:"reason"`
			Coordinates [][][2]float64 `json:"coordinates"`
		} `json:"fixtures"`
	}
	if err := json.Unmarshal(generated(t)[invalidFile], &doc); err != nil {
		t.Fatal(err)
	}
	ring := func(r [][2]float64) []orb.Point {
		out := make([]orb.Point, len(r))
		for i, p := range r {
			out[i] = orb.Point(p)
		}
		return out
	}
	open := func(closed []orb.Point) []orb.Point { return toPlane(orb.Ring(closed)) }
	inChina := func(p orb.Point) bool { return p[0] > 73.5 && p[0] < 135.1 && p[1] > 18 && p[1] < 53.6 }
	checks := map[string]func(r []orb.Point) error{
		"self-intersection": func(r []orb.Point) error {
			if r[0] != r[len(r)-1] || simple(open(r)) {
				return fmt.Errorf("closed %v, simple %v", r[0] == r[len(r)-1], simple(open(r)))
			}
			return nil
		},
		"unclosed-ring": func(r []orb.Point) error {
			if len(r) < 4 || r[0] == r[len(r)-1] || !simple(toPlane(append(r, r[0]))) {
				return fmt.Errorf("want a valid ring missing only its closing position")
			}
			return nil
		},
		"too-few-points": func(r []orb.Point) error {
			if len(r) >= 4 {
				return fmt.Errorf("%d positions", len(r))
			}
			return nil
		},
		"swapped-lonlat": func(r []orb.Point) error {
			for _, p := range r {
				if p[1] <= 90 || p[0] > 90 {
					return fmt.Errorf("position %v is not [lat, lon]", p)
				}
			}
			return nil
		},
		"outside-china": func(r []orb.Point) error {
			for _, p := range r {
				if inChina(p) {
					return fmt.Errorf("position %v is in China's box", p)
				}
			}
			return nil
		},
		"wrong-zone": func(r []orb.Point) error {
			for _, p := range r {
				if !inChina(p) || geo.ZoneForLon(p[0]) == zone {
					return fmt.Errorf("position %v", p)
				}
			}
			return nil
		},
	}
	if len(doc.Fixtures) != len(checks) {
		t.Errorf("%d fixtures, want %d", len(doc.Fixtures), len(checks))
	}
	for _, f := range doc.Fixtures {
		t.Run(f.Fixture, func(t *testing.T) {
			check, ok := checks[f.Fixture]
			if !ok {
				t.Fatal("unexpected fixture")
			}
			if f.Expect != "invalid" || f.Reason == "" || len(f.Coordinates) != 1 {
				t.Fatalf("expect %q, reason %q, %d rings", f.Expect, f.Reason, len(f.Coordinates))
			}
			if err := check(ring(f.Coordinates[0])); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestGeometryPredicates(t *testing.T) {
	sq := func(x, y, s float64) []orb.Point {
		return []orb.Point{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}}
	}
	tests := []struct {
		name     string
		a, b     []orb.Point
		disjoint bool
		dist     float64
	}{
		{"apart", sq(0, 0, 10), sq(20, 0, 10), true, 10},
		{"diagonal", sq(0, 0, 10), sq(13, 14, 10), true, 5},
		{"sharing an edge", sq(0, 0, 10), sq(10, 0, 10), false, 0},
		{"touching at a corner", sq(0, 0, 10), sq(10, 10, 10), false, 0},
		{"crossing", sq(0, 0, 10), sq(5, 5, 10), false, 0},
		{"inside", sq(0, 0, 10), sq(2, 2, 3), false, 0},
		{"around", sq(2, 2, 3), sq(0, 0, 10), false, 0},
		{"in the notch of a U", []orb.Point{{0, 0}, {30, 0}, {30, 30}, {20, 30}, {20, 10}, {10, 10}, {10, 30}, {0, 30}}, sq(12, 15, 6), true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := disjoint(tc.a, tc.b); got != tc.disjoint {
				t.Errorf("disjoint = %v, want %v", got, tc.disjoint)
			}
			if got := polyDist(tc.a, tc.b); math.Abs(got-tc.dist) > 1e-9 {
				t.Errorf("polyDist = %v, want %v", got, tc.dist)
			}
		})
	}

	simpleTests := []struct {
		name string
		r    []orb.Point
		want bool
	}{
		{"square", sq(0, 0, 1), true},
		{"bow-tie", []orb.Point{{0, 0}, {1, 1}, {1, 0}, {0, 1}}, false},
		{"repeated vertex", []orb.Point{{0, 0}, {1, 0}, {1, 0}, {0, 1}}, false},
		{"spike back along an edge", []orb.Point{{0, 0}, {2, 0}, {1, 0}, {1, 1}}, false},
		{"touching itself", []orb.Point{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}}, false},
		{"concave", []orb.Point{{0, 0}, {4, 0}, {4, 4}, {2, 1}, {0, 4}}, true},
	}
	for _, tc := range simpleTests {
		t.Run("simple/"+tc.name, func(t *testing.T) {
			if got := simple(tc.r); got != tc.want {
				t.Errorf("simple = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("clip", func(t *testing.T) {
		u := []orb.Point{{0, 0}, {30, 0}, {30, 30}, {20, 30}, {20, 10}, {10, 10}, {10, 30}, {0, 30}}
		if got := overlapArea(u, sq(0, 20, 30)); math.Abs(got-200) > 1e-9 {
			t.Errorf("area of U ∩ top band = %v, want 200", got)
		}
		if got := overlapArea(sq(0, 0, 10), sq(20, 20, 5)); got != 0 {
			t.Errorf("area of disjoint squares = %v", got)
		}
	})
}

// writeStressMask rewrites stressmask.go with mask.
func writeStressMask(t *testing.T, mask []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("// Code generated by go test ./data/gen -update; DO NOT EDIT.\n\npackage gen\n\n")
	b.WriteString("// stressCells is the mask StressRedlines draws from, north row first:\n")
	b.WriteString("// '#' marks a usable cell (see stress.go).\n")
	b.WriteString("var stressCells = [maskRows]string{\n")
	for _, row := range mask {
		fmt.Fprintf(&b, "\t%q,\n", row)
	}
	b.WriteString("}\n")
	if err := os.WriteFile("stressmask.go", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStressMaskIsCurrent(t *testing.T) {
	cs, err := parseCounties(readData(t, countiesFile))
	if err != nil {
		t.Fatal(err)
	}
	var parcels [][]orb.Point
	for _, p := range parsedLayer(t, parcelsFile) {
		parcels = append(parcels, p.xy)
	}
	mask := stressMask(cs, parcels)
	if *update {
		writeStressMask(t, mask)
		return
	}
	if !slices.Equal(mask, stressCells[:]) {
		t.Fatal("stressmask.go is stale: run go test ./data/gen -update")
	}
	var usable int
	for _, row := range mask {
		usable += strings.Count(row, "#")
	}
	if usable < 1000 {
		t.Errorf("only %d usable cells", usable)
	}
}

func TestStressRedlines(t *testing.T) {
	const n = 3000
	var a, b, c bytes.Buffer
	if err := StressRedlines(&a, n, 1); err != nil {
		t.Fatal(err)
	}
	if err := StressRedlines(&b, n, 1); err != nil {
		t.Fatal(err)
	}
	if err := StressRedlines(&c, n, 2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds, same output")
	}
	if lines := bytes.Count(a.Bytes(), []byte("\n")); lines != n+2 {
		t.Errorf("%d lines, want one per feature plus two", lines)
	}
	fs := parsePolys(t, a.Bytes())
	if len(fs) != n {
		t.Fatalf("%d features, want %d", len(fs), n)
	}
	var parcels [][]orb.Point
	for _, p := range parsedLayer(t, parcelsFile) {
		parcels = append(parcels, p.xy)
	}
	cs, err := parseCounties(readData(t, countiesFile))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{counties: cs}
	for i, f := range fs {
		if want := fmt.Sprintf("stress-%07d", i+1); f.str("id") != want || f.str("kind") != kindRedline || f.str("geometry_source") != "generated" {
			t.Fatalf("feature %d: properties %v", i, f.props)
		}
		if k := len(f.xy); k < 5 || k > 12 {
			t.Errorf("%s: %d corners", f.str("id"), k)
		}
		if !simple(f.xy) || signedArea(f.xy) <= 0 {
			t.Errorf("%s: not a simple counter-clockwise ring", f.str("id"))
		}
		var across float64
		for _, p := range f.xy {
			for _, q := range f.xy {
				across = math.Max(across, math.Hypot(p[0]-q[0], p[1]-q[1]))
			}
		}
		if across < 50 || across > 500 {
			t.Errorf("%s: %.0f m across", f.str("id"), across)
		}
		if i%10 == 0 { // the county test is the slow one
			if w.home(f.xy, 100) == nil {
				t.Errorf("%s: not inside a county", f.str("id"))
			}
		}
		for _, p := range parcels {
			if !farFrom(f.xy, p, 500) {
				t.Errorf("%s: within 500 m of a parcel", f.str("id"))
			}
		}
	}

	var empty bytes.Buffer
	if err := StressRedlines(&empty, 0, 1); err != nil {
		t.Fatal(err)
	}
	if fs := parsePolys(t, empty.Bytes()); len(fs) != 0 {
		t.Errorf("n = 0 gave %d features", len(fs))
	}
}

func BenchmarkStressRedlines(b *testing.B) {
	const n = 10000
	for b.Loop() {
		if err := StressRedlines(io.Discard, n, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/feature")
}
