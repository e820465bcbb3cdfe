package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/paulmach/orb"

	"minerights/geo"
	"minerights/internal/money"
	"minerights/registry"
)

// County is a county-level division.
type County struct {
	Code string `json:"code" example:"411726" doc:"Administrative division code"`
	Name string `json:"name" example:"泌阳县"`
}

// Area gives the stated area next to the one computed from the geometry.
type Area struct {
	StatedKm2   string  `json:"stated_km2" example:"5.3782" doc:"Area as the source document states it, km², exact decimal"`
	ComputedKm2 string  `json:"computed_km2" example:"5.3782" doc:"Area of the geometry in the CRS named by crs, km², 4 decimals"`
	ComputedM2  float64 `json:"computed_m2" doc:"Area of the geometry in the CRS named by crs, m²"`
	CRS         string  `json:"crs" example:"EPSG:4526" doc:"CRS the area is computed in: the parcel's own CGCS2000 3-degree Gauss-Krüger zone, from its longitude (EPSG:4526 is zone 38)"`
}

// Elevation is the mining elevation range (开采标高).
type Elevation struct {
	TopM    float64 `json:"top_m" example:"692" doc:"Upper mining elevation, metres"`
	BottomM float64 `json:"bottom_m" example:"192" doc:"Lower mining elevation, metres"`
}

// Price is an amount of money written three ways: integer 元, 万元 as the
// gazette writes it, and Chinese capital numerals (大写).
type Price struct {
	Yuan    int64  `json:"yuan" example:"435866500" doc:"Amount in 元 (exact integer)"`
	WanYuan string `json:"wan_yuan" example:"43586.65" doc:"Amount in 万元 as the gazette writes it"`
	Capital string `json:"capital" example:"肆亿叁仟伍佰捌拾陆万陆仟伍佰元整" doc:"Amount in Chinese capital numerals (大写)"`
}

// Provenance says where a parcel's facts and geometry come from.
type Provenance struct {
	SourceDocument string `json:"source_document"`
	GeometrySource string `json:"geometry_source" enum:"generated,surveyed" doc:"generated: a stand-in made by the project's generator, not survey data"`
}

// MultiPolygon is a GeoJSON MultiPolygon in CGCS2000 lon/lat.
type MultiPolygon struct {
	Type        string          `json:"type" enum:"MultiPolygon"`
	Coordinates [][][][]float64 `json:"coordinates"`
}

// Parcel is a mining parcel with every figure of its source.
type Parcel struct {
	ID               int64          `json:"id"`
	GazetteNo        *int           `json:"gazette_no" doc:"Number in the 2020 plan's list, null for parcels registered later"`
	Name             string         `json:"name"`
	County           County         `json:"county"`
	Mineral          string         `json:"mineral"`
	Basis            string         `json:"basis" enum:"explored,reconnaissance"`
	BasisText        *string        `json:"basis_text"`
	Status           string         `json:"status" enum:"registered,announced,in_sale,sold,failed,withdrawn"`
	Area             Area           `json:"area"`
	Elevation        *Elevation     `json:"elevation" doc:"Null when the source does not give it (unknown, not zero)"`
	Reserves         []Reserve      `json:"reserves"`
	Capacity         []Capacity     `json:"capacity"`
	MiningMethod     *string        `json:"mining_method"`
	ServiceLifeYears *string        `json:"service_life_years"`
	StartingPrice    *Price         `json:"starting_price" doc:"出让收益起始价; null when not yet set (the parcel cannot be announced)"`
	Statement        *string        `json:"statement"`
	Schedule         *string        `json:"schedule"`
	Responsible      []string       `json:"responsible"`
	Details          map[string]any `json:"details"`
	Provenance       Provenance     `json:"provenance"`
	Geometry         *MultiPolygon  `json:"geometry,omitempty"`
	Version          int            `json:"version"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

// priceOf writes an amount in 元 three ways.
func priceOf(yuan int64) *Price {
	return &Price{Yuan: yuan, WanYuan: money.FormatWan(yuan), Capital: money.CapitalYuan(yuan)}
}

func parcelOut(p registry.Parcel, withGeometry bool) Parcel {
	out := Parcel{
		ID:        p.ID,
		GazetteNo: p.GazetteNo,
		Name:      p.Name,
		County:    County{Code: p.CountyCode, Name: p.CountyName},
		Mineral:   p.Mineral,
		Basis:     p.Basis,
		BasisText: p.BasisText,
		Status:    p.Status,
		Area: Area{
			StatedKm2:   p.StatedAreaKm2,
			ComputedKm2: strconv.FormatFloat(math.Round(p.ComputedAreaM2/100)/1e4, 'f', 4, 64),
			ComputedM2:  math.Round(p.ComputedAreaM2*100) / 100,
			CRS:         geo.EPSGOfZone(p.Zone),
		},
		Reserves:         each(p.Reserves, reserveOf),
		Capacity:         each(p.Capacity, capacityOf),
		MiningMethod:     p.MiningMethod,
		ServiceLifeYears: p.ServiceLifeYears,
		Statement:        p.Statement,
		Schedule:         p.Schedule,
		Responsible:      p.Responsible,
		Details:          p.Details,
		Provenance:       Provenance{SourceDocument: p.SourceDocument, GeometrySource: p.GeometrySource},
		Version:          p.Version,
		CreatedAt:        p.CreatedAt,
		UpdatedAt:        p.UpdatedAt,
	}
	if out.Reserves == nil {
		out.Reserves = []Reserve{}
	}
	if out.Capacity == nil {
		out.Capacity = []Capacity{}
	}
	if out.Responsible == nil {
		out.Responsible = []string{}
	}
	if p.ElevationTopM != nil && p.ElevationBottomM != nil {
		out.Elevation = &Elevation{TopM: *p.ElevationTopM, BottomM: *p.ElevationBottomM}
	}
	if p.StartingPriceYuan != nil {
		out.StartingPrice = priceOf(*p.StartingPriceYuan)
	}
	if withGeometry {
		out.Geometry = multiPolygonOut(p.Geometry)
	}
	return out
}

func multiPolygonOut(mp orb.MultiPolygon) *MultiPolygon {
	g := &MultiPolygon{Type: "MultiPolygon", Coordinates: make([][][][]float64, len(mp))}
	for i, poly := range mp {
		g.Coordinates[i] = make([][][]float64, len(poly))
		for j, ring := range poly {
			g.Coordinates[i][j] = make([][]float64, len(ring))
			for k, pt := range ring {
				g.Coordinates[i][j][k] = []float64{pt[0], pt[1]}
			}
		}
	}
	return g
}

// ReserveIn is one reserve line as the bureau enters it.
type ReserveIn struct {
	Commodity string  `json:"commodity" minLength:"1" maxLength:"200" example:"饰面用花岗岩"`
	Quantity  string  `json:"quantity" pattern:"^[0-9]{1,12}(\\.[0-9]{1,6})?$" example:"1010.59" doc:"Exact decimal quantity, as written in the source"`
	Unit      string  `json:"unit" minLength:"1" maxLength:"50" example:"万立方米"`
	Category  *string `json:"category,omitempty" maxLength:"50" example:"122b" doc:"Reserve category as given (1999 or 2020 classification)"`
	Note      *string `json:"note,omitempty" maxLength:"500"`
}

// CapacityIn is one design-capacity line.
type CapacityIn struct {
	Commodity string `json:"commodity" minLength:"1" maxLength:"200"`
	Quantity  string `json:"quantity" pattern:"^[0-9]{1,12}(\\.[0-9]{1,6})?$" example:"50"`
	Unit      string `json:"unit" minLength:"1" maxLength:"50" example:"万立方米/年"`
}

// ParcelIn registers a parcel. Give the geometry either as GeoJSON
// (geometry) or as a 国土 TXT corner-point file (corners_txt).
type ParcelIn struct {
	Name              string          `json:"name" minLength:"1" maxLength:"200" example:"河南省泌阳县刘庄饰面花岗岩矿"`
	CountyCode        string          `json:"county_code" pattern:"^[0-9]{6}$" example:"411726"`
	Mineral           string          `json:"mineral" minLength:"1" maxLength:"200" example:"饰面用花岗岩"`
	Basis             string          `json:"basis" enum:"explored,reconnaissance" doc:"explored (经勘查) or field reconnaissance only (经野外踏勘)"`
	BasisText         *string         `json:"basis_text,omitempty" maxLength:"200"`
	Geometry          json.RawMessage `json:"geometry,omitempty" doc:"GeoJSON Polygon, MultiPolygon, or a Feature of one, in CGCS2000 lon/lat (EPSG:4490)"`
	CornersTXT        *string         `json:"corners_txt,omitempty" maxLength:"1000000" doc:"国土 TXT corner-point file ([属性描述] and [地块坐标] sections), CGCS2000 3° Gauss-Krüger"`
	StatedAreaKm2     *string         `json:"stated_area_km2,omitempty" pattern:"^[0-9]{1,6}(\\.[0-9]{1,6})?$" example:"1.3153" doc:"Area as stated by the source document; computed from the geometry when absent"`
	Elevation         *Elevation      `json:"elevation,omitempty"`
	MiningMethod      *string         `json:"mining_method,omitempty" maxLength:"200"`
	ServiceLifeYears  *string         `json:"service_life_years,omitempty" pattern:"^[0-9]{1,4}(\\.[0-9]{1,2})?$"`
	StartingPriceYuan *int64          `json:"starting_price_yuan,omitempty" minimum:"1" maximum:"1000000000000000" doc:"Starting price (出让收益起始价) in whole 元, at most 10¹⁵ (1,000 万亿) 元"`
	Statement         *string         `json:"statement,omitempty" maxLength:"2000"`
	Schedule          *string         `json:"schedule,omitempty" maxLength:"2000"`
	Responsible       []string        `json:"responsible,omitempty" maxItems:"20"`
	Reserves          []ReserveIn     `json:"reserves,omitempty" maxItems:"50"`
	Capacity          []CapacityIn    `json:"capacity,omitempty" maxItems:"50"`
	GeometrySource    string          `json:"geometry_source,omitempty" enum:"generated,surveyed" default:"surveyed"`
	SourceDocument    string          `json:"source_document,omitempty" maxLength:"500" doc:"The document the figures come from"`
}

func reservesIn(in []ReserveIn) []registry.Reserve {
	if in == nil {
		return nil
	}
	out := make([]registry.Reserve, len(in))
	for i, r := range in {
		out[i] = registry.Reserve{Commodity: r.Commodity, Quantity: r.Quantity, Unit: r.Unit, Category: r.Category, Note: r.Note}
	}
	return out
}

func capacityIn(in []CapacityIn) []registry.Capacity {
	if in == nil {
		return nil
	}
	out := make([]registry.Capacity, len(in))
	for i, c := range in {
		out[i] = registry.Capacity{Commodity: c.Commodity, Quantity: c.Quantity, Unit: c.Unit}
	}
	return out
}

// geometryOf reads the geometry from GeoJSON or TXT, whichever is given, and
// validates it, in the bureau's zone, before it reaches the database.
func (s *server) geometryOf(raw json.RawMessage, txt *string) (orb.MultiPolygon, error) {
	hasJSON := len(raw) > 0 && string(raw) != "null"
	switch {
	case hasJSON && txt != nil:
		return nil, invalid("body.geometry", "give the geometry once: either geometry (GeoJSON) or corners_txt (国土 TXT), not both")
	case hasJSON:
		mp, err := geo.ParseGeoJSON(raw)
		if err == nil {
			err = s.inZone(mp)
		}
		if err != nil {
			return nil, huma.Error422UnprocessableEntity("the geometry is not acceptable: "+err.Error(), geoDetails(err, "body.geometry")...)
		}
		return mp, nil
	case txt != nil:
		return s.geometryFromTXT(*txt, "body.corners_txt")
	}
	return nil, invalid("body.geometry", "the parcel needs a geometry: give geometry (GeoJSON) or corners_txt (国土 TXT)")
}

func checkElevation(e *Elevation, loc string) error {
	if e == nil {
		return nil
	}
	for _, v := range []float64{e.TopM, e.BottomM} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < -11000 || v > 9000 {
			return invalid(loc, "elevation %v m is not a plausible elevation (between -11000 and 9000 m)", v)
		}
	}
	if e.TopM < e.BottomM {
		return invalid(loc, "the upper elevation (top_m %v) is below the lower one (bottom_m %v): the mining range runs from top down to bottom", e.TopM, e.BottomM)
	}
	return nil
}

// parcelIDIn names a parcel in the path.
type parcelIDIn struct {
	ID int64 `path:"id" minimum:"1"`
}

// parcelResp is a parcel with its version as the ETag.
type parcelResp struct {
	ETag     string `header:"ETag"`
	Location string `header:"Location"`
	Body     Parcel
}

func respondParcel(p registry.Parcel) *parcelResp {
	return &parcelResp{ETag: etag(p.Version), Body: parcelOut(p, true)}
}

func (s *server) registerParcels(api huma.API) {
	s.registerParcelReads(api)
	s.registerParcelWrites(api)
}

// registerParcelReads registers the list of parcels and the parcel.
func (s *server) registerParcelReads(api huma.API) {
	type listIn struct {
		County   string `query:"county" doc:"County name (泌阳县) or code (411726)" maxLength:"50"`
		Mineral  string `query:"mineral" doc:"Substring of the mineral" maxLength:"100"`
		Status   string `query:"status" enum:"registered,announced,in_sale,sold,failed,withdrawn"`
		Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
		Offset   int    `query:"offset" minimum:"0" default:"0"`
		Geometry bool   `query:"geometry" doc:"Include each parcel's geometry"`
	}
	type listOut struct {
		Body struct {
			Items  []Parcel `json:"items"`
			Total  int      `json:"total" doc:"Parcels matching the filter"`
			Limit  int      `json:"limit"`
			Offset int      `json:"offset"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-parcels",
		Method:      http.MethodGet,
		Path:        "/api/v1/parcels",
		Summary:     "List parcels",
		Description: "Parcels in gazette order, then by id, with every figure of their source.",
		Tags:        []string{"parcels"},
	}, public, func(ctx context.Context, in *listIn) (*listOut, error) {
		ps, total, err := s.store.ListParcels(ctx, registry.ParcelFilter{
			County: in.County, Mineral: in.Mineral, Status: in.Status, Limit: in.Limit, Offset: in.Offset,
		})
		if err != nil {
			return nil, err
		}
		out := &listOut{}
		out.Body.Items = make([]Parcel, len(ps))
		for i, p := range ps {
			out.Body.Items[i] = parcelOut(p, in.Geometry)
		}
		out.Body.Total, out.Body.Limit, out.Body.Offset = total, in.Limit, in.Offset
		return out, nil
	})

	register(api, huma.Operation{
		OperationID: "get-parcel",
		Method:      http.MethodGet,
		Path:        "/api/v1/parcels/{id}",
		Summary:     "Get a parcel",
		Tags:        []string{"parcels"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *parcelIDIn) (*parcelResp, error) {
		p, err := s.store.GetParcel(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return respondParcel(p), nil
	})
}

// registerParcelWrites registers the registration of a parcel and its changes.
func (s *server) registerParcelWrites(api huma.API) {
	type createIn struct {
		Body ParcelIn
	}
	register(api, huma.Operation{
		OperationID:   "create-parcel",
		Method:        http.MethodPost,
		Path:          "/api/v1/parcels",
		Summary:       "Register a parcel",
		Description:   "Registers a parcel from GeoJSON or a 国土 TXT corner-point file. The geometry is validated (closure, point count, self-intersection, zone, extent) before anything is stored.",
		Tags:          []string{"parcels"},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnprocessableEntity, http.StatusConflict},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *createIn) (*parcelResp, error) {
		b := in.Body
		mp, err := s.geometryOf(b.Geometry, b.CornersTXT)
		if err != nil {
			return nil, err
		}
		if err := checkElevation(b.Elevation, "body.elevation"); err != nil {
			return nil, err
		}
		src := b.GeometrySource
		if src == "" {
			src = registry.GeometrySurveyed
		}
		doc := b.SourceDocument
		if doc == "" {
			doc = "registered through the API"
		}
		pin := registry.ParcelInput{
			Name: b.Name, CountyCode: b.CountyCode, Mineral: b.Mineral, Basis: b.Basis, BasisText: b.BasisText,
			Geometry: mp, StatedAreaKm2: b.StatedAreaKm2, MiningMethod: b.MiningMethod,
			ServiceLifeYears: b.ServiceLifeYears, StartingPriceYuan: b.StartingPriceYuan, Statement: b.Statement,
			Schedule: b.Schedule, Responsible: b.Responsible, Reserves: reservesIn(b.Reserves),
			Capacity: capacityIn(b.Capacity), SourceDocument: doc, GeometrySource: src,
		}
		if b.Elevation != nil {
			pin.ElevationTopM, pin.ElevationBottomM = &b.Elevation.TopM, &b.Elevation.BottomM
		}
		p, err := s.store.CreateParcel(ctx, pin)
		if err != nil {
			return nil, err
		}
		out := respondParcel(p)
		out.Location = fmt.Sprintf("/api/v1/parcels/%d", p.ID)
		return out, nil
	})

	// A PATCH changes the figures and the boundary as a correction by a
	// 补充公告 does, and besides them the status and the starting price.
	type patchBody struct {
		FiguresIn
		Status            *string `json:"status,omitempty" enum:"registered,withdrawn" doc:"The bureau may withdraw a parcel or put it back; sale states are set by the transfer"`
		StartingPriceYuan *int64  `json:"starting_price_yuan,omitempty" minimum:"1" maximum:"1000000000000000" doc:"Starting price (出让收益起始价) in whole 元, at most 10¹⁵ 元"`
	}
	type patchIn struct {
		ID      int64  `path:"id" minimum:"1"`
		IfMatch string `header:"If-Match" doc:"The parcel's ETag; the update is refused with 412 if the parcel changed since"`
		Body    patchBody
	}
	register(api, huma.Operation{
		OperationID: "update-parcel",
		Method:      http.MethodPatch,
		Path:        "/api/v1/parcels/{id}",
		Summary:     "Change a parcel's figures",
		Description: "Sets the fields given; absent fields keep their value.",
		Tags:        []string{"parcels"},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusPreconditionFailed},
	}, roles(registry.RoleBureau), func(ctx context.Context, in *patchIn) (*parcelResp, error) {
		b := in.Body
		pt := registry.ParcelPatch{
			Name: b.Name, Mineral: b.Mineral, Status: b.Status, StatedAreaKm2: b.StatedAreaKm2,
			MiningMethod: b.MiningMethod, ServiceLifeYears: b.ServiceLifeYears,
			StartingPriceYuan: b.StartingPriceYuan, Statement: b.Statement, Schedule: b.Schedule,
			Reserves: reservesIn(b.Reserves), Capacity: capacityIn(b.Capacity),
		}
		if err := s.patchShape(&pt, b.Elevation, b.Geometry, "body.elevation"); err != nil {
			return nil, err
		}
		v, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		pt.IfVersion = v
		p, err := s.store.UpdateParcel(ctx, in.ID, pt)
		if err != nil {
			return nil, preconditionOr(err, v)
		}
		return respondParcel(p), nil
	})

	s.registerCorners(api)
	s.registerCorrections(api)
}

// patchShape validates a changed elevation range and boundary and sets them
// in pt; a new boundary is surveyed.
func (s *server) patchShape(pt *registry.ParcelPatch, e *Elevation, geometry json.RawMessage, elevationLoc string) error {
	if err := checkElevation(e, elevationLoc); err != nil {
		return err
	}
	if e != nil {
		pt.ElevationTopM, pt.ElevationBottomM = &e.TopM, &e.BottomM
	}
	if len(geometry) > 0 && string(geometry) != "null" {
		mp, err := s.geometryOf(geometry, nil)
		if err != nil {
			return err
		}
		surveyed := registry.GeometrySurveyed
		pt.Geometry, pt.GeometrySource = mp, &surveyed
	}
	return nil
}

// etag is a parcel version as a strong ETag.
func etag(version int) string { return fmt.Sprintf(`"v%d"`, version) }

// ifMatch reads a version from an If-Match header; 0 means no condition.
func ifMatch(h string) (int, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(h, "W/"), `"v`), `"`))
	if err != nil || v <= 0 {
		return 0, invalid("header.If-Match", "If-Match must be an ETag this API returned, such as \"v3\"")
	}
	return v, nil
}

// preconditionOr turns a version conflict on a conditional update into 412.
func preconditionOr(err error, version int) error {
	if version != 0 && isConflict(err) {
		return huma.Error412PreconditionFailed("the parcel changed since you read it: " + conflictText(err))
	}
	return err
}

func isConflict(err error) bool { return errors.Is(err, registry.ErrConflict) }
