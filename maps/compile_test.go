package maps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"minerights/internal/cql2"
	"minerights/registry"
	"minerights/registry/registrytest"
)

func seededCollection(t *testing.T, id string) (registry.Collection, *registry.Store) {
	t.Helper()
	db := registrytest.Seeded(t)
	list, err := db.Store.MapCollections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == id {
			return c, db.Store
		}
	}
	t.Fatalf("no collection %s", id)
	return registry.Collection{}, nil
}

func parseFilter(t *testing.T, s string) cql2.Expr {
	t.Helper()
	if s == "" {
		return nil
	}
	e, err := cql2.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestCompileRefusesWhatDoesNotFit: a filter is checked against the
// queryables as it is compiled, before any SQL runs, and each refusal
// names the parameter.
func TestCompileRefusesWhatDoesNotFit(t *testing.T) {
	c, _ := seededCollection(t, "parcels")
	tests := []struct {
		name, filter, field, reason string
		bbox                        []float64
	}{
		{name: "unknown property", filter: "colour = 'red'", field: "filter", reason: `no queryable "colour"`},
		{name: "string for a number", filter: "gazette_no = '1'", field: "filter", reason: "not a integer"},
		{name: "order on booleans", filter: "TRUE = FALSE AND verdict > 1", field: "filter", reason: "not a string"},
		{name: "spatial on a string", filter: "S_INTERSECTS(name, POINT(1 2))", field: "filter", reason: "is a geometry, not a string"},
		{name: "spatial on two properties", filter: "S_INTERSECTS(name, geometry)", field: "filter", reason: "cannot be compared"},
		{name: "bbox inverted", bbox: []float64{2, 2, 1, 1}, field: "bbox", reason: "lower corner"},
		{name: "bbox of 5", bbox: []float64{1, 1, 2, 2, 3}, field: "bbox", reason: "found 5"},
		{name: "bbox beyond the poles", bbox: []float64{1, -95, 2, 2}, field: "bbox", reason: "latitude"},
		// A bad bbox is named before a bad filter, as the store named it
		// when it compiled both.
		{name: "bbox and filter both bad", bbox: []float64{2, 2, 1, 1}, filter: "colour = 'red'", field: "bbox", reason: "lower corner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := compile(c, tc.bbox, registry.CRS84, parseFilter(t, tc.filter), registry.CRS84)
			var ve *registry.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(ve.Reason, tc.reason) {
				t.Fatalf("compile: %v, %v; want %s: %q", w, err, tc.field, tc.reason)
			}
		})
	}
}

// TestCompileBindsEveryValue: the compiled condition carries every value
// of the bbox and the filter as a typed parameter numbered after the
// collection's own, never in its SQL text, and the store runs it.
func TestCompileBindsEveryValue(t *testing.T) {
	c, store := seededCollection(t, "redlines")
	own := len(c.Params().Args())
	if own == 0 {
		t.Fatal("a check layer's collection has its name as a value of its own")
	}
	filter := "name LIKE 'zz%' OR (layer_version BETWEEN 1 AND 99 AND feature_id IN ('x1', 'x2')) OR " +
		"S_INTERSECTS(geometry, POLYGON((114 33, 114.5 33, 114.5 33.5, 114 33.5, 114 33)))"
	w, err := compile(c, []float64{113.5, 32.5, 114.9, 33.9}, registry.CRS84, parseFilter(t, filter), registry.CRS84)
	if err != nil {
		t.Fatal(err)
	}
	for _, lit := range []string{"zz", "99", "x1", "x2", "113.5", "114.9", "POLYGON"} {
		if strings.Contains(w.SQL, lit) {
			t.Errorf("the value %q is in the SQL text: %s", lit, w.SQL)
		}
	}
	// bbox: 4, LIKE 1, BETWEEN 2, IN 2, the polygon 1.
	if got, want := len(w.Args), own+10; got != want {
		t.Fatalf("%d values, want %d: %v", got, want, w.Args)
	}
	for i := own + 1; i <= len(w.Args); i++ {
		if !strings.Contains(w.SQL, fmt.Sprintf("$%d::", i)) {
			t.Errorf("$%d is not in %s", i, w.SQL)
		}
	}
	if strings.Contains(w.SQL, fmt.Sprintf("$%d", len(w.Args)+1)) {
		t.Errorf("a placeholder past the values: %s", w.SQL)
	}
	if len(w.Geometries) != 1 || w.Geometries[0].SRID != 4490 {
		t.Fatalf("geometry literals %+v", w.Geometries)
	}
	all, err := store.Items(context.Background(), c, registry.ItemsQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	some, err := store.Items(context.Background(), c, registry.ItemsQuery{Where: w, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if some.NumberMatched == 0 || some.NumberMatched > all.NumberMatched {
		t.Fatalf("the condition matches %d of %d red lines", some.NumberMatched, all.NumberMatched)
	}
	none, err := compile(c, nil, registry.CRS84, nil, registry.CRS84)
	if none != nil || err != nil {
		t.Fatalf("no bbox and no filter: %+v, %v", none, err)
	}
}
