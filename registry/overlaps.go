package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// OverlapShape is where a parcel and a feature named by its latest report
// overlap: the shape itself, in CGCS2000 longitude/latitude (EPSG:4490) as
// GeoJSON, with what the report says of it, for a map to draw.
type OverlapShape struct {
	Check     string          `json:"check"` // the report's check: layer:NAME or parcels
	Title     string          `json:"title"` // the check's title (the rule table's)
	Source    string          `json:"source"`
	Layer     string          `json:"layer,omitempty"`
	FID       string          `json:"fid"` // the feature's id in its layer, or the other parcel's id
	Name      string          `json:"name"`
	OverlapM2 float64         `json:"overlap_m2"` // m², as the report measured it
	Severity  string          `json:"severity"`
	Geometry  json.RawMessage `json:"geometry"` // GeoJSON (Multi)Polygon in EPSG:4490
}

// The overlap of the parcel with one feature of the layer version the
// report used (layer versions are never changed, only superseded), and with
// another parcel, measured in the plane of the checks and returned in the
// parcels' own CRS. Only the polygonal part of an intersection is an
// overlap; what is left of a touch is not drawn.
const (
	overlapLayerSQL = `SELECT ST_AsGeoJSON(ST_Transform(ST_CollectionExtract(ST_Intersection(ST_Transform(p.geom, 4526), f.geom_4526), 3), 4490), 9)::text
	FROM parcel p, layer l JOIN layer_feature f ON f.layer_id = l.id
	WHERE p.id = $1 AND l.name = $2 AND l.version = $3 AND f.fid = $4`
	overlapParcelSQL = `SELECT ST_AsGeoJSON(ST_Transform(ST_CollectionExtract(ST_Intersection(ST_Transform(p.geom, 4526), ST_Transform(q.geom, 4526)), 3), 4490), 9)::text
	FROM parcel p, parcel q WHERE p.id = $1 AND q.id::text = $2`
)

// OverlapShapes returns the shapes of the overlaps that the parcel's latest
// compliance report counts against it (the rules that exclude, the 3-D rule
// and the other parcels; not the share inside a zone the parcel must lie
// in). ErrNotFound when the parcel has no report.
func (s *Store) OverlapShapes(ctx context.Context, parcelID int64) ([]OverlapShape, error) {
	rep, err := s.LatestReport(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	out := []OverlapShape{}
	err = s.readTx(ctx, func(tx pgx.Tx) error {
		for _, c := range rep.Checks {
			if c.Check != "parcels" && c.Effect != "exclude" && c.Effect != "separate_3d" {
				continue
			}
			for _, h := range c.Hits {
				if h.OverlapM2 <= 0 {
					continue
				}
				var g *string
				var err error
				if h.Source == "parcel" {
					err = tx.QueryRow(ctx, overlapParcelSQL, parcelID, h.FID).Scan(&g)
				} else {
					err = tx.QueryRow(ctx, overlapLayerSQL, parcelID, c.Layer, c.LayerVersion, h.FID).Scan(&g)
				}
				if errors.Is(err, pgx.ErrNoRows) || (err == nil && g == nil) {
					continue // the other parcel was withdrawn since the check
				}
				if err != nil {
					return err
				}
				out = append(out, OverlapShape{Check: c.Check, Title: c.Title, Source: h.Source, Layer: c.Layer, FID: h.FID, Name: h.Name,
					OverlapM2: h.OverlapM2, Severity: h.Severity, Geometry: json.RawMessage(*g)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: overlap shapes of parcel %d: %w", parcelID, err)
	}
	return out, nil
}
