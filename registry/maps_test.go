package registry_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkb"

	"minerights/registry"
	"minerights/registry/registrytest"
)

func TestParseCRS(t *testing.T) {
	tests := []struct {
		in   string
		want registry.CRS
		ok   bool
	}{
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", registry.CRS84, true},
		{"http://www.opengis.net/def/crs/EPSG/0/4490", registry.EPSG4490, true},
		{"EPSG:4526", registry.EPSG4526, true},
		{"[EPSG:4326]", registry.EPSG4326, true},
		{"http://www.opengis.net/def/crs/EPSG/0/3857", registry.CRS{}, false},
		{"EPSG:45260", registry.CRS{}, false},
		{"", registry.CRS{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := registry.ParseCRS(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("ParseCRS(%q) = %+v, %v", tc.in, got, ok)
			}
		})
	}
}

func TestValidTile(t *testing.T) {
	tests := []struct {
		z, x, y int
		field   string
	}{
		{0, 0, 0, ""}, {22, 4194303, 4194303, ""}, {23, 0, 0, "z"}, {-1, 0, 0, "z"},
		{3, 8, 0, "x"}, {3, -1, 0, "x"}, {3, 0, 8, "y"},
	}
	for _, tc := range tests {
		err := registry.ValidTile(tc.z, tc.x, tc.y)
		var ve *registry.ValidationError
		if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field) {
			t.Errorf("ValidTile(%d, %d, %d) = %v, want field %q", tc.z, tc.x, tc.y, err, tc.field)
		}
	}
}

func collection(t *testing.T, s *registry.Store, id string) registry.Collection {
	t.Helper()
	list, err := s.MapCollections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no collection %s", id)
	return registry.Collection{}
}

// TestItemsRefusesWhatDoesNotFit: what the store checks of an items query
// before its page is read (a filter's fit to the queryables is checked
// where it is compiled, in package maps), each refusal naming the
// parameter.
func TestItemsRefusesWhatDoesNotFit(t *testing.T) {
	s, _ := newStore(t, true)
	c := collection(t, s, "parcels")
	bowtie, err := wkb.Marshal(orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	within := func(g []byte) *registry.Condition {
		p := c.Params()
		sql := "ST_Within(" + c.GeometrySQL() + ", ST_GeomFromWKB(" + p.Bind(g, "bytea") + ", 4490))"
		return p.Condition(sql, []registry.GeometryLiteral{{WKB: g, SRID: 4490, Text: "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"}})
	}
	tests := []struct {
		name, field, reason string
		props               []string
		where               *registry.Condition
	}{
		{name: "bowtie polygon", where: within(bowtie), field: "filter", reason: "Self-intersection"},
		{name: "unknown output property", props: []string{"nosuch"}, field: "properties", reason: `no property "nosuch"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := registry.ItemsQuery{Properties: tc.props, Where: tc.where, Limit: 10}
			_, err := s.Items(context.Background(), c, q)
			var ve *registry.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(ve.Reason, tc.reason) {
				t.Fatalf("Items: %v, want %s: %q", err, tc.field, tc.reason)
			}
		})
	}
	// A condition compiled on another collection's values numbers its
	// placeholders after that collection's: it is refused, not run.
	other := collection(t, s, "counties").Params()
	q := registry.ItemsQuery{Where: other.Condition("TRUE", nil), Limit: 10}
	if _, err := s.Items(context.Background(), c, q); err == nil || !strings.Contains(err.Error(), "compiled for collection") {
		t.Fatalf("Items with a condition of counties: %v", err)
	}
}

// TestOverviewTiles: a layer's overview replaces its features at low zoom
// with merged shapes, and only there.
func TestOverviewTiles(t *testing.T) {
	s, pool := newStore(t, true)
	ctx := context.Background()
	before := collection(t, s, "redlines")
	_, pixel := registry.Tolerance(registry.OverviewMaxZoom)
	// The seeded layer is small; build its overview by hand as a big one
	// gets it in the background.
	if _, err := pool.Exec(ctx, `SELECT map_build_overview(l.id, $1) FROM layer l WHERE l.name = 'redlines' AND l.current`, pixel); err != nil {
		t.Fatal(err)
	}
	after := collection(t, s, "redlines")
	if before.Version != after.Version || after.Features == 0 {
		t.Fatalf("redlines: %+v", after)
	}
	props := func(c registry.Collection, z, x, y int) map[string]int {
		b, err := s.Tile(ctx, c, z, x, y, registry.TileOptions{Generalise: true})
		if err != nil {
			t.Fatal(err)
		}
		ls, err := mvt.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, l := range ls {
			for _, f := range l.Features {
				for k := range f.Properties {
					n[k]++
				}
			}
		}
		return n
	}
	if n := props(before, 8, 208, 103); n["feature_id"] == 0 || n["generalised"] != 0 {
		t.Errorf("z8 without overview: %v", n)
	}
	if n := props(after, 8, 208, 103); n["generalised"] == 0 || n["feature_id"] != 0 {
		t.Errorf("z8 from the overview: %v", n)
	}
	if n := props(after, 11, 1669, 825); n["generalised"] != 0 {
		t.Errorf("z11 must show features: %v", n)
	}
}

type recorder struct {
	mu     sync.Mutex
	topics []string
	resets int
}

func (r *recorder) Changed(topic string) {
	r.mu.Lock()
	r.topics = append(r.topics, topic)
	r.mu.Unlock()
}
func (r *recorder) Reset()     { r.mu.Lock(); r.resets++; r.mu.Unlock() }
func (r *recorder) Lost(error) {}
func (r *recorder) saw(topic string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.topics, topic)
}

// TestWatchMaps: edits of parcels and layers reach a listener as the name
// of the collection they change.
func TestWatchMaps(t *testing.T) {
	db := registrytest.Seeded(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	done := make(chan error, 1)
	go func() { done <- db.Store.WatchMaps(ctx, rec) }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s; saw %v", what, rec.topics)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("reset", func() bool { rec.mu.Lock(); defer rec.mu.Unlock(); return rec.resets > 0 })
	if _, err := db.Pool.Exec(ctx, `UPDATE parcel SET mining_method = mining_method WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	waitFor("parcels", func() bool { return rec.saw("parcels") })
	if _, err := db.Pool.Exec(ctx, `UPDATE layer_feature SET name = name WHERE layer_id = (SELECT id FROM layer WHERE name = 'farmland' AND current)`); err != nil {
		t.Fatal(err)
	}
	waitFor("farmland", func() bool { return rec.saw("farmland") })
	if _, err := db.Pool.Exec(ctx, `UPDATE county SET source = source`); err != nil {
		t.Fatal(err)
	}
	waitFor("counties", func() bool { return rec.saw("counties") })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
