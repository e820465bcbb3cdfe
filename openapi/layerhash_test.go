package openapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"minerights/compliance"
	"minerights/registry"
)

// TestImportSameLayerFileTwice: posting the file of the current version
// again answers 200 with layer.unchanged, makes no version and leaves a
// report made on that version fresh; a changed file makes the next one.
func TestImportSameLayerFileTwice(t *testing.T) {
	e := newEnv(t)
	sq := `[[113.5,32.7],[113.51,32.7],[113.51,32.71],[113.5,32.71],[113.5,32.7]]`
	file := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r1","name":"测试铁路"},"geometry":{"type":"Polygon","coordinates":[` + sq + `]}}]}`)
	type out struct {
		Layer    registry.Layer `json:"layer"`
		Previous int            `json:"previous_version"`
	}
	post := func(body []byte) (int, out) {
		t.Helper()
		r := e.do(http.MethodPost, "/api/v1/layers/railways/features?kind=railway&source=test", registry.RoleBureau, "application/geo+json", body)
		var o out
		r.json(t, &o)
		return r.Status, o
	}
	if s, o := post(file); s != 201 || o.Layer.Version != 1 || o.Layer.Unchanged {
		t.Fatalf("first import: %d %+v", s, o)
	}
	id := parcelID(t, e, 10)
	if r := e.do(http.MethodPost, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), registry.RoleBureau, "", nil); r.Status != 201 {
		t.Fatalf("run: %d %s", r.Status, r.Body)
	}
	if s, o := post(file); s != 200 || o.Layer.Version != 1 || !o.Layer.Unchanged || o.Previous != 1 {
		t.Fatalf("same file again: %d %+v", s, o)
	}
	var rep compliance.Report
	e.do(http.MethodGet, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), registry.RoleBureau, "", nil).json(t, &rep)
	if rep.Stale {
		t.Errorf("the same file made the report stale: %s", rep.StaleReason)
	}
	changed := append(append([]byte(nil), file[:len(file)-2]...), []byte(`]}`+"\n")...)
	if s, o := post(changed); s != 201 || o.Layer.Version != 2 || o.Layer.Unchanged {
		t.Fatalf("a changed file: %d %+v", s, o)
	}
}
