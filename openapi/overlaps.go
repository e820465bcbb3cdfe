package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"minerights/registry"
)

// OverlapFeature is one overlap of a parcel's latest compliance report as a
// GeoJSON feature: its shape and what the report says of it.
type OverlapFeature struct {
	Type       string          `json:"type" enum:"Feature"`
	Geometry   json.RawMessage `json:"geometry" doc:"GeoJSON (Multi)Polygon in EPSG:4490 (CGCS2000 longitude, latitude)"`
	Properties OverlapProps    `json:"properties"`
}

// OverlapProps are the report's words of one overlap.
type OverlapProps struct {
	Check     string  `json:"check" doc:"The report's check: layer:NAME or parcels"`
	Title     string  `json:"title"`
	Source    string  `json:"source" enum:"layer,parcel"`
	Layer     string  `json:"layer,omitempty"`
	FID       string  `json:"fid"`
	Name      string  `json:"name"`
	OverlapM2 float64 `json:"overlap_m2" doc:"Area of the overlap in EPSG:4526, m², as the report measured it"`
	Severity  string  `json:"severity" enum:"pass,warn,fail"`
}

// OverlapCollection is a GeoJSON FeatureCollection of overlaps.
type OverlapCollection struct {
	Type     string           `json:"type" enum:"FeatureCollection"`
	Features []OverlapFeature `json:"features"`
}

// registerOverlaps adds the shapes of a report's overlaps, which the
// report itself gives only as figures, for the desk's and the planner's map.
func (s *server) registerOverlaps(api huma.API) {
	type overlapsIn struct {
		ID int64 `path:"id" minimum:"1"`
	}
	type overlapsOut struct {
		Body OverlapCollection
	}
	register(api, huma.Operation{
		OperationID: "get-compliance-overlaps",
		Method:      http.MethodGet,
		Path:        "/api/v1/parcels/{id}/compliance/overlaps",
		Summary:     "The overlaps of the parcel's latest compliance report, as GeoJSON",
		Description: "Where the parcel overlaps the features its latest report counts against it (red lines, farmland, protected mountains, existing mining rights, other parcels): each overlap's shape with its area, its feature and the severity the report gave it. The share of a zone the parcel must lie in is not an overlap.",
		Tags:        []string{"compliance"},
		Errors:      []int{http.StatusNotFound},
	}, roles(registry.RoleBureau, registry.RolePlanner), func(ctx context.Context, in *overlapsIn) (*overlapsOut, error) {
		shapes, err := s.store.OverlapShapes(ctx, in.ID)
		if errors.Is(err, registry.ErrNotFound) {
			return nil, noReportYet(in.ID)
		}
		if err != nil {
			return nil, err
		}
		out := &overlapsOut{Body: OverlapCollection{Type: "FeatureCollection", Features: []OverlapFeature{}}}
		for _, sh := range shapes {
			out.Body.Features = append(out.Body.Features, OverlapFeature{Type: "Feature", Geometry: sh.Geometry, Properties: OverlapProps{
				Check: sh.Check, Title: sh.Title, Source: sh.Source, Layer: sh.Layer, FID: sh.FID, Name: sh.Name, OverlapM2: sh.OverlapM2, Severity: sh.Severity}})
		}
		return out, nil
	})
}
