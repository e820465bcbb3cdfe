package openapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/paulmach/orb"

	"minerights/geo"
	"minerights/registry"
)

// producer is written into exported corner files as 数据产生单位.
const producer = "自然资源和规划局"

var cst = time.FixedZone("CST", 8*3600)

// geometryFromTXT parses a 国土 TXT file; each block becomes one polygon of
// the parcel. The file's 带号 says its zone, whichever it is (a province
// spans zones 37 to 39); a file without 带号 is read in the configured
// zone (serve --zone), its Y prefixes checked against it. Problems name
// the line, block and corner.
func (s *server) geometryFromTXT(txt, loc string) (orb.MultiPolygon, error) {
	t, err := geo.ParseTXT(strings.NewReader(txt))
	if err != nil {
		return nil, badCorners(err, loc)
	}
	if len(t.Blocks) == 0 {
		return nil, invalid(loc, "the corner-point file has no block under [地块坐标]")
	}
	if _, named := t.Attr("带号"); !named {
		t.Attributes = append(t.Attributes, geo.Attribute{Key: "带号", Value: strconv.Itoa(s.zone)})
	}
	mp, zone, err := t.LonLat()
	if err != nil {
		return nil, badCorners(err, loc)
	}
	if err := geo.ValidateLonLat(mp, zone); err != nil {
		return nil, badCorners(err, loc)
	}
	return mp, nil
}

// inZone checks a lon/lat geometry in its own 3° zone (geo.ZoneOf), the
// zone it will be measured in.
func (s *server) inZone(mp orb.MultiPolygon) error {
	return geo.ValidateLonLat(mp, geo.ZoneOf(mp))
}

func badCorners(err error, loc string) error {
	return huma.Error422UnprocessableEntity("the corner-point file is not acceptable: "+err.Error(), geoDetails(err, loc)...)
}

// cornersTXT writes a parcel's corner points as a 国土 TXT file in its own
// zone.
func cornersTXT(p registry.Parcel) ([]byte, error) {
	zone := geo.ZoneOf(p.Geometry)
	blocks := make([]geo.Block, len(p.Geometry))
	for i, poly := range p.Geometry {
		code := strconv.FormatInt(p.ID, 10)
		if len(p.Geometry) > 1 {
			code += "-" + strconv.Itoa(i+1)
		}
		blocks[i] = geo.BlockFromPolygon(zone, poly, geo.BlockHeader{Code: code, Name: p.Name, Shape: "面", Use: "采矿用地"})
	}
	t := geo.NewTXT(zone, producer, p.UpdatedAt.In(cst).Format("2006-01-02"), blocks...)
	var buf bytes.Buffer
	if err := t.Encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Feature is a parcel as a GeoJSON Feature.
type Feature struct {
	Type       string        `json:"type" enum:"Feature"`
	ID         int64         `json:"id"`
	Geometry   *MultiPolygon `json:"geometry"`
	Properties Parcel        `json:"properties"`
}

func (s *server) registerCorners(api huma.API) {
	type idIn struct {
		ID int64 `path:"id" minimum:"1"`
	}
	type txtOut struct {
		ContentType        string `header:"Content-Type"`
		ContentDisposition string `header:"Content-Disposition"`
		ETag               string `header:"ETag"`
		Body               []byte
	}
	register(api, huma.Operation{
		OperationID: "get-parcel-corners",
		Method:      http.MethodGet,
		Path:        "/api/v1/parcels/{id}/corners",
		Summary:     "Export a parcel's corner points (国土 TXT)",
		Description: "The parcel's boundary as 拐点坐标 in CGCS2000 3° Gauss-Krüger (X northing, Y easting with the zone number), in the 国土 TXT exchange format, UTF-8.",
		Tags:        []string{"parcels"},
		Errors:      []int{http.StatusNotFound},
		Responses: map[string]*huma.Response{"200": {
			Description: "国土 TXT corner-point file",
			Content:     map[string]*huma.MediaType{"text/plain": {Schema: &huma.Schema{Type: "string"}}},
		}},
	}, public, func(ctx context.Context, in *idIn) (*txtOut, error) {
		p, err := s.store.GetParcel(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		b, err := cornersTXT(p)
		if err != nil {
			return nil, err
		}
		return &txtOut{
			ContentType:        "text/plain; charset=utf-8",
			ContentDisposition: fmt.Sprintf(`attachment; filename="parcel-%d.txt"`, p.ID),
			ETag:               etag(p.Version),
			Body:               b,
		}, nil
	})

	type putIn struct {
		ID      int64  `path:"id" minimum:"1"`
		IfMatch string `header:"If-Match" doc:"The parcel's ETag; refused with 412 if the parcel changed since"`
		RawBody []byte `contentType:"text/plain" maxLength:"1000000"`
	}
	type parcelResp struct {
		ETag string `header:"ETag"`
		Body Parcel
	}
	register(api, huma.Operation{
		OperationID: "put-parcel-corners",
		Method:      http.MethodPut,
		Path:        "/api/v1/parcels/{id}/corners",
		Summary:     "Replace a parcel's boundary from a 国土 TXT file",
		Description: "Reads the 拐点坐标 of a 国土 TXT file (UTF-8 or GBK), validates every corner and replaces the parcel's geometry; the geometry source becomes surveyed.",
		Tags:        []string{"parcels"},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge},
		// A raw body has no default limit in huma: without one, a body
		// beyond the server's 8 MiB cap failed the read with a 500.
		MaxBodyBytes: 1 << 20,
	}, roles(registry.RoleBureau), func(ctx context.Context, in *putIn) (*parcelResp, error) {
		mp, err := s.geometryFromTXT(string(in.RawBody), "body")
		if err != nil {
			return nil, err
		}
		v, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		surveyed := registry.GeometrySurveyed
		p, err := s.store.UpdateParcel(ctx, in.ID, registry.ParcelPatch{Geometry: mp, GeometrySource: &surveyed, IfVersion: v})
		if err != nil {
			return nil, preconditionOr(err, v)
		}
		return &parcelResp{ETag: etag(p.Version), Body: parcelOut(p, true)}, nil
	})

	type featureOut struct {
		ContentType string `header:"Content-Type"`
		Body        Feature
	}
	register(api, huma.Operation{
		OperationID: "get-parcel-geojson",
		Method:      http.MethodGet,
		Path:        "/api/v1/parcels/{id}/geojson",
		Summary:     "Export a parcel as a GeoJSON Feature",
		Description: "CGCS2000 lon/lat (EPSG:4490), which display software may treat as WGS 84: they differ by centimetres.",
		Tags:        []string{"parcels"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *idIn) (*featureOut, error) {
		p, err := s.store.GetParcel(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		props := parcelOut(p, false)
		return &featureOut{
			ContentType: "application/geo+json",
			Body:        Feature{Type: "Feature", ID: p.ID, Geometry: multiPolygonOut(p.Geometry), Properties: props},
		}, nil
	})
}
