package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"

	"minerights/openapi"
	"minerights/registry"
)

// TestComplianceOverlaps: the shapes of a report's overlaps, for the maps:
// a parcel registered over parcel 3 overlaps it whole; the shape comes back
// as GeoJSON whose area PostGIS measures as the report did; planners read
// it, the public and bidders do not; a parcel without a report is a 404.
func TestComplianceOverlaps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	body, _ := json.Marshal(map[string]any{
		"name": "重叠测试", "county_code": "411726", "mineral": "饰面用花岗岩", "basis": "explored",
		"corners_txt": string(e.get("/api/v1/parcels/3/corners").Body),
	})
	r := e.do(http.MethodPost, "/api/v1/parcels", registry.RoleBureau, "application/json", body)
	if r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var p openapi.Parcel
	r.json(t, &p)
	path := fmt.Sprintf("/api/v1/parcels/%d/compliance/overlaps", p.ID)
	if r := e.do(http.MethodGet, path, registry.RoleBureau, "", nil); r.Status != 404 {
		t.Errorf("before any report: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.MethodPost, fmt.Sprintf("/api/v1/parcels/%d/compliance", p.ID), registry.RoleBureau, "", nil); r.Status != 201 {
		t.Fatalf("check: %d %s", r.Status, r.Body)
	}
	for _, role := range []string{"", registry.RoleBidder} {
		if r := e.do(http.MethodGet, path, role, "", nil); r.Status != 401 && r.Status != 403 {
			t.Errorf("GET as %q: %d", role, r.Status)
		}
	}
	r = e.do(http.MethodGet, path, registry.RolePlanner, "", nil)
	if r.Status != 200 {
		t.Fatalf("planner: %d %s", r.Status, r.Body)
	}
	var fc openapi.OverlapCollection
	r.json(t, &fc)
	var three int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT id FROM parcel WHERE gazette_no = 3`).Scan(&three); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range fc.Features {
		if f.Type != "Feature" || f.Properties.Severity == "" || f.Properties.OverlapM2 <= 0 {
			t.Errorf("overlap %+v", f.Properties)
		}
		var area float64
		if err := e.db.Pool.QueryRow(ctx, `SELECT ST_Area(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4490), 4526))`, string(f.Geometry)).Scan(&area); err != nil {
			t.Fatalf("the shape of %s does not read back: %v\n%s", f.Properties.Name, err, f.Geometry)
		}
		if math.Abs(area-f.Properties.OverlapM2) > 0.001*f.Properties.OverlapM2+1 {
			t.Errorf("%s: the shape measures %.1f m², the report %.1f m²", f.Properties.Name, area, f.Properties.OverlapM2)
		}
		if f.Properties.Source == "parcel" && f.Properties.FID == fmt.Sprint(three) {
			found = true
			if f.Properties.Check != "parcels" || f.Properties.Severity != "fail" {
				t.Errorf("the overlap with parcel 3: %+v", f.Properties)
			}
		}
	}
	if !found {
		t.Errorf("no overlap with parcel 3 among %s", r.Body)
	}
	if r := e.do(http.MethodGet, "/api/v1/parcels/999999/compliance/overlaps", registry.RoleBureau, "", nil); r.Status != 404 {
		t.Errorf("an unknown parcel: %d", r.Status)
	}
}
