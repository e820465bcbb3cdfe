package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"minerights/data"
	"minerights/geo"
	"minerights/internal/money"
	"minerights/internal/pgtest"
	"minerights/registry"
	"minerights/registry/registrytest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func newStore(t *testing.T, seeded bool) (*registry.Store, *pgxpool.Pool) {
	t.Helper()
	db := registrytest.Migrated
	if seeded {
		db = registrytest.Seeded
	}
	d := db(t)
	return d.Store, d.Pool
}

// TestGazetteFigures checks every figure of every seeded parcel against
// parcels.json, the copy of the gazette.
func TestGazetteFigures(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	facts, err := registry.ParseFacts(data.Facts())
	if err != nil {
		t.Fatal(err)
	}
	ps, total, err := store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 11 || len(ps) != 11 {
		t.Fatalf("got %d parcels (total %d), want 11", len(ps), total)
	}
	for i, fp := range facts.Parcels {
		p := ps[i]
		t.Run(strconv.Itoa(fp.No), func(t *testing.T) {
			if p.GazetteNo == nil || *p.GazetteNo != fp.No {
				t.Fatalf("parcel %d: gazette_no %v", i, p.GazetteNo)
			}
			eq(t, "name", p.Name, fp.Name)
			eq(t, "county", p.CountyName, fp.County)
			eq(t, "county_code", p.CountyCode, fp.CountyCode)
			eq(t, "mineral", p.Mineral, fp.Mineral)
			eq(t, "basis_text", deref(p.BasisText), fp.Basis)
			eq(t, "stated area", p.StatedAreaKm2, fp.AreaKm2)
			eq(t, "mining method", deref(p.MiningMethod), deref(fp.MiningMethod))
			eq(t, "service life", deref(p.ServiceLifeYears), deref(fp.ServiceLifeYears))
			eq(t, "statement", deref(p.Statement), deref(fp.Statement))
			eq(t, "schedule", deref(p.Schedule), deref(fp.Schedule))
			eq(t, "geometry source", p.GeometrySource, registry.GeometryGenerated)
			eqFloatPtr(t, "elevation top", p.ElevationTopM, fp.ElevationTopM)
			eqFloatPtr(t, "elevation bottom", p.ElevationBottomM, fp.ElevationBottomM)
			if (p.StartingPriceYuan == nil) != (fp.StartingPriceYuan == nil) ||
				p.StartingPriceYuan != nil && *p.StartingPriceYuan != *fp.StartingPriceYuan {
				t.Errorf("starting price %v, want %v", p.StartingPriceYuan, fp.StartingPriceYuan)
			}
			if fp.StartingPriceWanYuan != nil {
				yuan, err := money.ParseWan(*fp.StartingPriceWanYuan)
				if err != nil || yuan != *p.StartingPriceYuan {
					t.Errorf("万元 %s is %d 元, stored %d (%v)", *fp.StartingPriceWanYuan, yuan, *p.StartingPriceYuan, err)
				}
				eq(t, "万元", money.FormatWan(*p.StartingPriceYuan), *fp.StartingPriceWanYuan)
				eq(t, "capital", money.CapitalYuan(*p.StartingPriceYuan), deref(fp.StartingPriceCapital))
			}
			if len(p.Reserves) != len(fp.Reserves) {
				t.Fatalf("%d reserve lines, want %d", len(p.Reserves), len(fp.Reserves))
			}
			for j, r := range fp.Reserves {
				got := p.Reserves[j]
				eq(t, "reserve commodity", got.Commodity, r.Commodity)
				eq(t, "reserve quantity", got.Quantity, r.Quantity)
				eq(t, "reserve unit", got.Unit, r.Unit)
				eq(t, "reserve category", deref(got.Category), deref(r.Category))
				eq(t, "reserve note", deref(got.Note), deref(r.Note))
			}
			if len(p.Capacity) != len(fp.Capacity) {
				t.Fatalf("%d capacity lines, want %d", len(p.Capacity), len(fp.Capacity))
			}
			for j, c := range fp.Capacity {
				eq(t, "capacity", p.Capacity[j].Quantity+" "+p.Capacity[j].Unit+" "+p.Capacity[j].Commodity,
					c.Quantity+" "+c.Unit+" "+c.Commodity)
			}
			if len(p.Responsible) != len(fp.Responsible) {
				t.Errorf("responsible %v, want %v", p.Responsible, fp.Responsible)
			}
		})
	}
}

// TestAreaRule: each parcel's area computed by PostGIS in EPSG:4526, rounded
// to the gazette's decimals, equals the gazette's figure, and geo's own
// arithmetic agrees with PostGIS within 0.01%.
func TestAreaRule(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	ps, _, err := store.ListParcels(ctx, registry.ParcelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			decimals := 0
			if i := strings.IndexByte(p.StatedAreaKm2, '.'); i >= 0 {
				decimals = len(p.StatedAreaKm2) - i - 1
			}
			got := new(big.Float).SetFloat64(p.ComputedAreaM2/1e6).Text('f', decimals)
			if got != p.StatedAreaKm2 {
				t.Errorf("computed %s km² (%.2f m²), gazette %s", got, p.ComputedAreaM2, p.StatedAreaKm2)
			}
			mine := geo.AreaM2(38, p.Geometry)
			if rel := math.Abs(mine-p.ComputedAreaM2) / p.ComputedAreaM2; rel > 1e-4 {
				t.Errorf("geo.AreaM2 %.3f vs PostGIS %.3f: %.6f%%", mine, p.ComputedAreaM2, rel*100)
			}
		})
	}
}

// TestSeedIdempotent: seeding twice leaves exactly 11 parcels and keeps edits.
func TestSeedIdempotent(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	name := "edited name"
	ps, _, _ := store.ListParcels(ctx, registry.ParcelFilter{Limit: 1})
	if _, err := store.UpdateParcel(ctx, ps[0].ID, registry.ParcelPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	rep, err := store.Seed(ctx, registrytest.SeedData())
	if err != nil {
		t.Fatal(err)
	}
	if rep.ParcelsInserted != 0 || rep.ParcelsPresent != 11 || rep.Counties != 10 {
		t.Fatalf("second seed: %+v", rep)
	}
	_, total, _ := store.ListParcels(ctx, registry.ParcelFilter{})
	p, _ := store.GetParcel(ctx, ps[0].ID)
	if total != 11 || p.Name != name {
		t.Fatalf("after reseed: %d parcels, name %q", total, p.Name)
	}
}

func TestListFilters(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	cases := []struct {
		name string
		f    registry.ParcelFilter
		want int
	}{
		{"county by name", registry.ParcelFilter{County: "泌阳县"}, 7},
		{"county by code", registry.ParcelFilter{County: "411725"}, 4},
		{"mineral substring", registry.ParcelFilter{Mineral: "饰面用花岗岩"}, 3},
		{"mineral substring in a longer name", registry.ParcelFilter{Mineral: "花岗岩"}, 7},
		{"mineral with LIKE metacharacters", registry.ParcelFilter{Mineral: "%"}, 0},
		{"status", registry.ParcelFilter{Status: registry.StatusRegistered}, 11},
		{"status none", registry.ParcelFilter{Status: registry.StatusSold}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, total, err := store.ListParcels(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.want || len(ps) != tc.want {
				t.Fatalf("got %d (total %d), want %d", len(ps), total, tc.want)
			}
		})
	}
	page, total, _ := store.ListParcels(ctx, registry.ParcelFilter{Limit: 4, Offset: 8})
	if total != 11 || len(page) != 3 || *page[0].GazetteNo != 9 {
		t.Fatalf("page 3 of 4: %d items, total %d", len(page), total)
	}
}

func square(lon, lat, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}}
}

func TestCreateAndUpdate(t *testing.T) {
	ctx := context.Background()
	store, _ := newStore(t, true)
	price := int64(12345600)
	in := registry.ParcelInput{
		Name: "测试矿", CountyCode: "411725", Mineral: "灰岩", Basis: "explored",
		Geometry: square(113.95, 32.65, 0.01), StartingPriceYuan: &price,
		Reserves:       []registry.Reserve{{Commodity: "灰岩", Quantity: "100.50", Unit: "万吨"}},
		SourceDocument: "test", GeometrySource: registry.GeometrySurveyed,
	}
	p, err := store.CreateParcel(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.StatedAreaKm2 == "" || p.Reserves[0].Quantity != "100.50" || p.Version != 1 || p.CountyName != "确山县" {
		t.Fatalf("created %+v", p)
	}
	top, bottom := 300.0, 100.0
	up, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{ElevationTopM: &top, ElevationBottomM: &bottom, IfVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 || *up.ElevationTopM != 300 {
		t.Fatalf("updated %+v", up)
	}
	if _, err := store.UpdateParcel(ctx, p.ID, registry.ParcelPatch{ElevationTopM: &top, IfVersion: 1}); !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("stale version: %v", err)
	}
	if _, err := store.GetParcel(ctx, 99999); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("missing parcel: %v", err)
	}
}

// TestRejectsWithoutPartialWrite: a refused registration leaves nothing.
func TestRejectsWithoutPartialWrite(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, true)
	top, bottom := 100.0, 300.0
	cases := []struct {
		name string
		mod  func(*registry.ParcelInput)
	}{
		{"unknown county", func(in *registry.ParcelInput) { in.CountyCode = "999999" }},
		{"elevation top below bottom", func(in *registry.ParcelInput) { in.ElevationTopM, in.ElevationBottomM = &top, &bottom }},
		{"bad reserve quantity", func(in *registry.ParcelInput) {
			in.Reserves = []registry.Reserve{{Commodity: "a", Quantity: "1", Unit: "万吨"}, {Commodity: "b", Quantity: "-5", Unit: "万吨"}}
		}},
		{"duplicate gazette number", func(in *registry.ParcelInput) { no := 3; in.GazetteNo = &no }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := registry.ParcelInput{Name: "x", CountyCode: "411725", Mineral: "灰岩", Basis: "explored",
				Geometry: square(113.95, 32.65, 0.01), SourceDocument: "t", GeometrySource: registry.GeometrySurveyed}
			tc.mod(&in)
			_, err := store.CreateParcel(ctx, in)
			var ve *registry.ValidationError
			if !errors.As(err, &ve) && !errors.Is(err, registry.ErrConflict) {
				t.Fatalf("want a validation error or conflict, got %v", err)
			}
			var n int
			if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM parcel) + (SELECT count(*) FROM parcel_reserve WHERE parcel_id > 11)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 11 {
				t.Fatalf("%d rows after a refused write, want the 11 seeded parcels only", n)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	store, pool := newStore(t, false)
	tok, err := store.CreateToken(ctx, registry.RoleBureau, "clerk", 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.Authenticate(ctx, tok)
	if err != nil || p.Role != registry.RoleBureau || p.Name != "clerk" {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_token WHERE position($1::bytea in digest) > 0`, []byte(tok)).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("token stored in clear: %d %v", stored, err)
	}
	short, _ := store.CreateToken(ctx, registry.RolePlanner, "temp", time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	for _, bad := range []string{"", "mrt_nope", tok + "x", short, "Bearer " + tok} {
		if _, err := store.Authenticate(ctx, bad); !errors.Is(err, registry.ErrUnauthenticated) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	if err := store.RevokeToken(ctx, p.TokenID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Authenticate(ctx, tok); !errors.Is(err, registry.ErrUnauthenticated) {
		t.Fatalf("revoked token accepted: %v", err)
	}
	if _, err := store.CreateToken(ctx, "admin", "x", 0); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func eqFloatPtr(t *testing.T, what string, got, want *float64) {
	t.Helper()
	if (got == nil) != (want == nil) || got != nil && *got != *want {
		t.Errorf("%s: got %v, want %v", what, fmtPtr(got), fmtPtr(want))
	}
}

func fmtPtr(f *float64) string {
	if f == nil {
		return "null"
	}
	b, _ := json.Marshal(*f)
	return string(b)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
