package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// Parcel statuses. A parcel is registered, then announced for sale, then in
// sale, and ends sold or failed (and may be offered again), or withdrawn.
const (
	StatusRegistered = "registered"
	StatusAnnounced  = "announced"
	StatusInSale     = "in_sale"
	StatusSold       = "sold"
	StatusFailed     = "failed"
	StatusWithdrawn  = "withdrawn"
)

// Geometry sources: generated geometry is a stand-in made by the project's
// generator; surveyed geometry comes from the bureau's corner points.
const (
	GeometryGenerated = "generated"
	GeometrySurveyed  = "surveyed"
)

// Reserve is one reserve line: an exact decimal quantity with its unit and,
// where the source gives one, the reserve category (e.g. 122b).
type Reserve struct {
	Commodity string  `json:"commodity"`
	Quantity  string  `json:"quantity"`
	Unit      string  `json:"unit"`
	Category  *string `json:"category,omitempty"`
	Note      *string `json:"note,omitempty"`
}

// Capacity is one design-capacity line, e.g. 50 万立方米/年.
type Capacity struct {
	Commodity string `json:"commodity"`
	Quantity  string `json:"quantity"`
	Unit      string `json:"unit"`
}

// Parcel is a mining parcel as the registry holds it.
type Parcel struct {
	ID             int64
	GazetteNo      *int
	Name           string
	CountyCode     string
	CountyName     string
	Mineral        string
	Basis          string
	BasisText      *string
	Status         string
	Geometry       orb.MultiPolygon
	StatedAreaKm2  string
	ComputedAreaM2 float64
	// Zone is the parcel's own CGCS2000 3° Gauss-Krüger zone, from its
	// longitude (cgcs2000_zone): ComputedAreaM2 and every compliance
	// figure are measured in it (EPSG 4488+Zone).
	Zone             int
	ElevationTopM    *float64
	ElevationBottomM *float64
	// Volume is the right as the database keeps it (parcel.volume,
	// migration 015): the prism of the footprint between the bottom and the
	// top of the elevation range in the parcel's own zone, read through
	// GeometryCodec as a go-geom MultiPolygon of its faces in XYZ; nil when
	// the range is unknown.
	Volume            geom.T
	MiningMethod      *string
	ServiceLifeYears  *string
	StartingPriceYuan *int64
	Statement         *string
	Schedule          *string
	Responsible       []string
	Details           map[string]any
	Reserves          []Reserve
	Capacity          []Capacity
	SourceDocument    string
	GeometrySource    string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int
}

// ParcelInput is what the bureau registers. Geometry is CGCS2000 lon/lat and
// has been validated by package geo.
type ParcelInput struct {
	GazetteNo         *int
	Name              string
	CountyCode        string
	Mineral           string
	Basis             string
	BasisText         *string
	Geometry          orb.MultiPolygon
	StatedAreaKm2     *string
	ElevationTopM     *float64
	ElevationBottomM  *float64
	MiningMethod      *string
	ServiceLifeYears  *string
	StartingPriceYuan *int64
	Statement         *string
	Schedule          *string
	Responsible       []string
	Details           map[string]any
	Reserves          []Reserve
	Capacity          []Capacity
	SourceDocument    string
	GeometrySource    string
}

// ParcelPatch changes the fields that are non-nil.
type ParcelPatch struct {
	Name              *string
	Mineral           *string
	Status            *string
	StatedAreaKm2     *string
	ElevationTopM     *float64
	ElevationBottomM  *float64
	MiningMethod      *string
	ServiceLifeYears  *string
	StartingPriceYuan *int64
	Statement         *string
	Schedule          *string
	Reserves          []Reserve
	Capacity          []Capacity
	Geometry          orb.MultiPolygon
	GeometrySource    *string
	// IfVersion, when non-zero, makes the update conditional on the parcel's
	// current version (optimistic locking with If-Match).
	IfVersion int
}

// ParcelFilter selects parcels for listing; empty fields match everything.
type ParcelFilter struct {
	// County matches the county's name (泌阳县) or code (411726).
	County  string
	Mineral string
	Status  string
	Limit   int
	Offset  int
}

const parcelColumns = `p.id, p.gazette_no, p.name, p.county_code, c.name, p.mineral, p.basis, p.basis_text,
	p.status, p.geom, p.stated_area_km2::text, ST_Area(ST_Transform(p.geom, cgcs2000_zone_srid(p.geom))), cgcs2000_zone(p.geom),
	p.elevation_top_m, p.elevation_bottom_m, p.volume, p.mining_method, p.service_life_years::text,
	p.starting_price_yuan, p.statement, p.schedule, p.responsible, p.details, p.source_document,
	p.geometry_source, p.created_at, p.updated_at, p.version,
	COALESCE((SELECT json_agg(json_build_object('commodity', r.commodity, 'quantity', r.quantity::text,
		'unit', r.unit, 'category', r.category, 'note', r.note) ORDER BY r.line)
		FROM parcel_reserve r WHERE r.parcel_id = p.id), '[]'),
	COALESCE((SELECT json_agg(json_build_object('commodity', k.commodity, 'quantity', k.quantity::text,
		'unit', k.unit) ORDER BY k.line)
		FROM parcel_capacity k WHERE k.parcel_id = p.id), '[]')`

func scanParcel(row pgx.Row) (Parcel, error) {
	var p Parcel
	var details, reserves, capacity []byte
	var g, vol Geometry
	err := row.Scan(&p.ID, &p.GazetteNo, &p.Name, &p.CountyCode, &p.CountyName, &p.Mineral, &p.Basis,
		&p.BasisText, &p.Status, &g, &p.StatedAreaKm2, &p.ComputedAreaM2, &p.Zone, &p.ElevationTopM,
		&p.ElevationBottomM, &vol, &p.MiningMethod, &p.ServiceLifeYears, &p.StartingPriceYuan, &p.Statement,
		&p.Schedule, &p.Responsible, &details, &p.SourceDocument, &p.GeometrySource, &p.CreatedAt,
		&p.UpdatedAt, &p.Version, &reserves, &capacity)
	if err != nil {
		return p, err
	}
	if p.Geometry, err = OrbOfGeometry(g.T); err != nil {
		return p, err
	}
	p.Volume = vol.T
	if err := json.Unmarshal(details, &p.Details); err != nil {
		return p, err
	}
	if err := json.Unmarshal(reserves, &p.Reserves); err != nil {
		return p, err
	}
	if err := json.Unmarshal(capacity, &p.Capacity); err != nil {
		return p, err
	}
	return p, nil
}

// ListParcels returns one page of parcels in a stable order (gazette number,
// then id) and the number of parcels that match the filter.
func (s *Store) ListParcels(ctx context.Context, f ParcelFilter) ([]Parcel, int, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.County != "" {
		add("(c.name = $%d OR c.code = $%[1]d)", f.County)
	}
	if f.Mineral != "" {
		add("p.mineral LIKE '%%' || $%d || '%%'", escapeLike(f.Mineral))
	}
	if f.Status != "" {
		add("p.status = $%d", f.Status)
	}
	cond := ""
	if len(where) > 0 {
		cond = "WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []Parcel
	var total int
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM parcel p JOIN county c ON c.code = p.county_code `+cond, args...).Scan(&total); err != nil {
			return err
		}
		q := `SELECT ` + parcelColumns + ` FROM parcel p JOIN county c ON c.code = p.county_code ` + cond +
			fmt.Sprintf(` ORDER BY p.gazette_no NULLS LAST, p.id LIMIT $%d OFFSET $%d`, len(args)+1, len(args)+2)
		rows, err := tx.Query(ctx, q, append(args, limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanParcel(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("registry: list parcels: %w", err)
	}
	return out, total, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetParcel returns the parcel with the given id.
func (s *Store) GetParcel(ctx context.Context, id int64) (Parcel, error) {
	var p Parcel
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		var err error
		p, err = findParcel(ctx, tx, id)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("registry: get parcel %d: %w", id, err)
	}
	return p, nil
}

func findParcel(ctx context.Context, tx pgx.Tx, id int64) (Parcel, error) {
	return scanParcel(tx.QueryRow(ctx, `SELECT `+parcelColumns+` FROM parcel p JOIN county c ON c.code = p.county_code WHERE p.id = $1`, id))
}

// geomValue is a parcel's geometry as it is written: EWKB with SRID 4490
// through GeometryCodec; NULL when mp is nil.
func geomValue(mp orb.MultiPolygon) Geometry {
	if mp == nil {
		return Geometry{}
	}
	return Geometry{T: GeometryOfOrb(mp, SRID4490)}
}

// CreateParcel registers a parcel with its reserve and capacity lines in one
// transaction and returns it as stored.
func (s *Store) CreateParcel(ctx context.Context, in ParcelInput) (Parcel, error) {
	var p Parcel
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		id, err := insertParcel(ctx, tx, in)
		if err != nil {
			return err
		}
		p, err = findParcel(ctx, tx, id)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("registry: create parcel: %w", err)
	}
	return p, nil
}

func insertParcel(ctx context.Context, tx pgx.Tx, in ParcelInput) (int64, error) {
	if err := checkCounty(ctx, tx, in.CountyCode); err != nil {
		return 0, err
	}
	details := in.Details
	if details == nil {
		details = map[string]any{}
	}
	resp := in.Responsible
	if resp == nil {
		resp = []string{}
	}
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO parcel (gazette_no, name, county_code, mineral, basis, basis_text, geom, stated_area_km2,
			elevation_top_m, elevation_bottom_m, mining_method, service_life_years, starting_price_yuan,
			statement, schedule, responsible, details, source_document, geometry_source)
		VALUES ($1, $2, $3, $4, $5, $6, ST_Multi($7::geometry),
			COALESCE($8::numeric, round((ST_Area(ST_Transform($7::geometry, cgcs2000_zone_srid($7::geometry))) / 1e6)::numeric, 4)),
			$9, $10, $11, $12::numeric, $13, $14, $15, $16, $17, $18, $19)
		RETURNING id`,
		in.GazetteNo, in.Name, in.CountyCode, in.Mineral, in.Basis, in.BasisText, geomValue(in.Geometry),
		in.StatedAreaKm2, in.ElevationTopM, in.ElevationBottomM, in.MiningMethod, in.ServiceLifeYears,
		in.StartingPriceYuan, in.Statement, in.Schedule, resp, details, in.SourceDocument,
		in.GeometrySource).Scan(&id)
	if err != nil {
		return 0, err
	}
	if err := replaceLines(ctx, tx, id, in.Reserves, in.Capacity); err != nil {
		return 0, err
	}
	return id, nil
}

func checkCounty(ctx context.Context, tx pgx.Tx, code string) error {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM county WHERE code = $1)`, code).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return &ValidationError{Field: "county_code", Reason: fmt.Sprintf("unknown county code %q (expected a 6-digit administrative code such as 411726 for 泌阳县)", code)}
	}
	return nil
}

func replaceLines(ctx context.Context, tx pgx.Tx, id int64, reserves []Reserve, capacity []Capacity) error {
	if reserves != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM parcel_reserve WHERE parcel_id = $1`, id); err != nil {
			return err
		}
		for i, r := range reserves {
			if _, err := tx.Exec(ctx, `INSERT INTO parcel_reserve (parcel_id, line, commodity, quantity, unit, category, note)
				VALUES ($1, $2, $3, $4::numeric, $5, $6, $7)`, id, i+1, r.Commodity, r.Quantity, r.Unit, r.Category, r.Note); err != nil {
				return err
			}
		}
	}
	if capacity != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM parcel_capacity WHERE parcel_id = $1`, id); err != nil {
			return err
		}
		for i, c := range capacity {
			if _, err := tx.Exec(ctx, `INSERT INTO parcel_capacity (parcel_id, line, commodity, quantity, unit)
				VALUES ($1, $2, $3, $4::numeric, $5)`, id, i+1, c.Commodity, c.Quantity, c.Unit); err != nil {
				return err
			}
		}
	}
	return nil
}

// UpdateParcel applies a patch in one transaction. A patch that names an
// IfVersion other than the current one fails with ErrConflict. A parcel
// that belongs to a sale which has not ended is refused with a
// ParcelInSaleError (see checkParcelChange): from the announcement on its
// figures, boundary and status are the sale's, and a draft keeps the
// starting price it copied. The check runs under the parcel's row lock,
// and migration 009's trigger holds the same rule in the database.
func (s *Store) UpdateParcel(ctx context.Context, id int64, pt ParcelPatch) (Parcel, error) {
	var p Parcel
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var version int
		var price *int64
		var status string
		if err := tx.QueryRow(ctx, `SELECT version, starting_price_yuan, status FROM parcel WHERE id = $1 FOR UPDATE`, id).Scan(&version, &price, &status); err != nil {
			return err
		}
		if err := checkParcelChange(ctx, tx, id, pt, price, status); err != nil {
			return err
		}
		if pt.IfVersion != 0 && pt.IfVersion != version {
			return conflict("parcel %d is at version %d, not %d", id, version, pt.IfVersion)
		}
		if err := writePatch(ctx, tx, id, pt); err != nil {
			return err
		}
		var err error
		p, err = findParcel(ctx, tx, id)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("registry: update parcel %d: %w", id, inSaleGuard(err, id))
	}
	return p, nil
}

// writePatch writes the fields of pt that are set, and bumps the version.
func writePatch(ctx context.Context, tx pgx.Tx, id int64, pt ParcelPatch) error {
	geom := geomValue(pt.Geometry)
	_, err := tx.Exec(ctx, `
		UPDATE parcel SET
			name = COALESCE($2, name),
			mineral = COALESCE($3, mineral),
			status = COALESCE($4, status),
			stated_area_km2 = COALESCE($5::numeric, stated_area_km2),
			elevation_top_m = COALESCE($6, elevation_top_m),
			elevation_bottom_m = COALESCE($7, elevation_bottom_m),
			mining_method = COALESCE($8, mining_method),
			service_life_years = COALESCE($9::numeric, service_life_years),
			starting_price_yuan = COALESCE($10, starting_price_yuan),
			statement = COALESCE($11, statement),
			schedule = COALESCE($12, schedule),
			geom = COALESCE(ST_Multi($13::geometry), geom),
			geometry_source = COALESCE($14, geometry_source),
			updated_at = now(),
			version = version + 1
		WHERE id = $1`,
		id, pt.Name, pt.Mineral, pt.Status, pt.StatedAreaKm2, pt.ElevationTopM, pt.ElevationBottomM,
		pt.MiningMethod, pt.ServiceLifeYears, pt.StartingPriceYuan, pt.Statement, pt.Schedule, geom,
		pt.GeometrySource)
	if err != nil {
		return err
	}
	return replaceLines(ctx, tx, id, pt.Reserves, pt.Capacity)
}

// County is a county-level division with its administrative code.
type County struct {
	Code string
	Name string
}

// Counties lists the counties the registry knows, by code.
func (s *Store) Counties(ctx context.Context) ([]County, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT code, name FROM county ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("registry: counties: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[County])
	if err != nil {
		return nil, fmt.Errorf("registry: counties: %w", err)
	}
	return out, nil
}
