package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"minerights/geo"
)

// Layer kinds with a default rule (compliance_rule). The bureau may add
// kinds: a new kind is a rule row plus a layer of that kind.
const (
	KindRedline     = "redline"
	KindFarmland    = "farmland"
	KindMountain    = "mountain"
	KindMiningZone  = "mining_zone"
	KindMiningRight = "mining_right"
	KindCounty      = "county"
)

// DefaultLayers maps the seeded layer names to their kinds and titles, so
// that `minerights import redlines FILE` needs no --kind.
var DefaultLayers = map[string]struct{ Kind, Title string }{
	"redlines":      {KindRedline, "生态保护红线 ecological protection red lines"},
	"farmland":      {KindFarmland, "永久基本农田 permanent basic farmland"},
	"mountains":     {KindMountain, "山体保护重点保护名录 key protected mountains"},
	"mining_zones":  {KindMiningZone, "规划开采区 planned mining zones"},
	"mining_rights": {KindMiningRight, "现有采矿权 existing mining rights"},
	"counties":      {KindCounty, "县级行政区 counties"},
}

// CountiesLayer is the layer built from the county table, feature id = the
// administrative code, which the county-containment rule matches against a
// parcel's county code.
const CountiesLayer = "counties"

// maxLayerProblems caps the problems an import reports: a clerk fixes the
// first ones and tries again.
const maxLayerProblems = 50

// Layer is one version of a check layer.
type Layer struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Kind         string         `json:"kind"`
	Version      int            `json:"version"`
	Title        string         `json:"title"`
	Source       string         `json:"source"`
	Provenance   map[string]any `json:"provenance"`
	FeatureCount int            `json:"feature_count"`
	CreatedAt    time.Time      `json:"created_at"`
	Current      bool           `json:"current"`
	// Unchanged is set on the answer to an import whose content is the
	// current version's: no version was made and no report went stale.
	Unchanged bool `json:"unchanged,omitempty"`
}

// LayerImport is a new version of a layer. Features is read once, as a
// stream; Progress, when set, is called with the number of features read so
// far every few thousand features.
type LayerImport struct {
	Name       string
	Kind       string // empty: the current version's kind, or the default of a seeded name
	Title      string
	Source     string
	Provenance map[string]any
	Features   geo.LayerReader
	Progress   func(read int)
	// SHA256 is the hex SHA-256 of the file's bytes, kept in the
	// provenance. When it is the current version's (and the kind is the
	// same) the import changes nothing and Features is not read.
	SHA256 string
}

// FeatureProblem is one feature of an import that cannot be loaded.
type FeatureProblem struct {
	Index  int    `json:"index"` // 1-based position of the feature in the file
	FID    string `json:"fid,omitempty"`
	Reason string `json:"reason"`
}

// LayerError refuses a whole import, naming the features to fix. Nothing
// was stored; the previous version stays current.
type LayerError struct {
	Layer    string
	Read     int // features read
	Problems []FeatureProblem
	More     int // problems beyond those listed
}

func (e *LayerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "layer %s: %d of %d features cannot be loaded; nothing was imported", e.Layer, len(e.Problems)+e.More, e.Read)
	for i, p := range e.Problems {
		if i == 3 {
			b.WriteString("; …")
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

func (p FeatureProblem) String() string {
	if p.FID != "" {
		return fmt.Sprintf("feature %d (%s): %s", p.Index, p.FID, p.Reason)
	}
	return fmt.Sprintf("feature %d: %s", p.Index, p.Reason)
}

var layerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

const layerColumns = `id, name, kind, version, title, source, provenance, feature_count, created_at, current`

func scanLayer(row pgx.Row) (Layer, error) {
	var l Layer
	var prov []byte
	err := row.Scan(&l.ID, &l.Name, &l.Kind, &l.Version, &l.Title, &l.Source, &prov, &l.FeatureCount, &l.CreatedAt, &l.Current)
	if err != nil {
		return l, err
	}
	return l, json.Unmarshal(prov, &l.Provenance)
}

// Layers lists the current version of every layer, or every version when
// all is set, by name and version.
func (s *Store) Layers(ctx context.Context, all bool) ([]Layer, error) {
	rows, err := s.db(ctx).Query(ctx, `SELECT `+layerColumns+` FROM layer WHERE current OR $1 ORDER BY name, version`, all)
	if err != nil {
		return nil, fmt.Errorf("registry: layers: %w", err)
	}
	defer rows.Close()
	var out []Layer
	for rows.Next() {
		l, err := scanLayer(rows)
		if err != nil {
			return nil, fmt.Errorf("registry: layers: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("registry: layers: %w", err)
	}
	return out, nil
}

// CurrentLayer returns the current version of the named layer.
func (s *Store) CurrentLayer(ctx context.Context, name string) (Layer, error) {
	l, err := scanLayer(s.db(ctx).QueryRow(ctx, `SELECT `+layerColumns+` FROM layer WHERE name = $1 AND current`, name))
	if err != nil {
		return l, fmt.Errorf("registry: layer %s: %w", name, mapErr(err))
	}
	return l, nil
}

// ImportLayer loads a new version of a layer, all or nothing: every feature
// is validated (geo, then PostGIS ST_IsValid), and one bad feature refuses
// the whole file with a *LayerError naming it, the previous version staying
// current. On success the new version becomes current and
// pg_notify('layer_changed', name) is sent in the same transaction.
func (s *Store) ImportLayer(ctx context.Context, in LayerImport) (Layer, error) {
	var out Layer
	if !layerName.MatchString(in.Name) {
		return out, &ValidationError{Field: "name", Reason: fmt.Sprintf("layer name %q must be lower-case letters, digits and _ (e.g. redlines, railways)", in.Name)}
	}
	if in.Kind != "" && !layerName.MatchString(in.Kind) {
		return out, &ValidationError{Field: "kind", Reason: fmt.Sprintf("layer kind %q must be lower-case letters, digits and _ (e.g. redline, railway)", in.Kind)}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('minerights.layer:' || $1, 0))`, in.Name); err != nil {
			return err
		}
		var prevKind, prevTitle string
		var next int
		err := tx.QueryRow(ctx, `SELECT COALESCE((SELECT kind FROM layer WHERE name = $1 AND current), ''),
				COALESCE((SELECT title FROM layer WHERE name = $1 AND current), ''),
				COALESCE((SELECT max(version) FROM layer WHERE name = $1), 0) + 1`, in.Name).Scan(&prevKind, &prevTitle, &next)
		if err != nil {
			return err
		}
		kind, title := in.Kind, in.Title
		def, seeded := DefaultLayers[in.Name]
		switch {
		case kind == "" && prevKind != "":
			kind = prevKind
		case kind == "" && seeded:
			kind = def.Kind
		case kind == "":
			return &ValidationError{Field: "kind", Reason: fmt.Sprintf("layer %s is new: say its kind (e.g. railway), and add a compliance rule for that kind", in.Name)}
		case prevKind != "" && kind != prevKind:
			return &ValidationError{Field: "kind", Reason: fmt.Sprintf("layer %s is of kind %s, not %s: import under another name for another kind", in.Name, prevKind, kind)}
		}
		if in.SHA256 != "" && prevKind == kind {
			cur, err := scanLayer(tx.QueryRow(ctx, `SELECT `+layerColumns+` FROM layer WHERE name = $1 AND current
				AND provenance->>'sha256' = $2`, in.Name, in.SHA256))
			if err == nil {
				out, out.Unchanged = cur, true
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if title == "" {
			title = prevTitle
		}
		if title == "" && seeded {
			title = def.Title
		}
		if title == "" {
			title = in.Name
		}
		source := in.Source
		if source == "" {
			source = "imported"
		}
		if err := tx.QueryRow(ctx, `INSERT INTO layer (name, kind, version, title, source, current)
			VALUES ($1, $2, $3, $4, $5, false) RETURNING id`, in.Name, kind, next, title, source).Scan(&out.ID); err != nil {
			return err
		}
		n, err := stageFeatures(ctx, tx, in)
		if err != nil {
			return err
		}
		prov := map[string]any{}
		for k, v := range in.Provenance {
			prov[k] = v
		}
		if in.SHA256 != "" {
			prov["sha256"] = in.SHA256
		}
		prov["format"], prov["srid"] = in.Features.Format(), in.Features.SRID()
		// The version is made current before its features are inserted
		// (the transaction commits both or neither): on Citus the features'
		// insert runs in parallel, after which the layer table, which other
		// reference tables refer to, may not be written in the transaction.
		if _, err := tx.Exec(ctx, `UPDATE layer SET current = false WHERE name = $1 AND current`, in.Name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE layer SET current = true, feature_count = $2, provenance = $3 WHERE id = $1`, out.ID, n, prov); err != nil {
			return err
		}
		if err := insertFeatures(ctx, tx, out.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT layer_regions_build($1)`, out.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify('layer_changed', $1)`, in.Name); err != nil {
			return err
		}
		out, err = scanLayer(tx.QueryRow(ctx, `SELECT `+layerColumns+` FROM layer WHERE id = $1`, out.ID))
		return err
	})
	if err != nil {
		return out, fmt.Errorf("registry: import layer %s: %w", in.Name, err)
	}
	return out, nil
}

// stageFeatures streams the features into a temporary table by COPY,
// validating each; then lets PostGIS judge the geometry that geo passed.
func stageFeatures(ctx context.Context, tx pgx.Tx, in LayerImport) (int, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE layer_stage (idx integer, fid text, name text, properties jsonb,
		top double precision, bottom double precision, wkb bytea) ON COMMIT DROP`); err != nil {
		return 0, err
	}
	src := &featureSource{in: in, seen: map[string]int{}, lerr: &LayerError{Layer: in.Name}}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"layer_stage"},
		[]string{"idx", "fid", "name", "properties", "top", "bottom", "wkb"}, src); err != nil {
		if src.fatal != nil {
			return 0, src.fatal
		}
		return 0, err
	}
	lerr := src.lerr
	lerr.Read = src.read
	if len(lerr.Problems) == 0 && src.read == 0 {
		return 0, &ValidationError{Field: "features", Reason: "the file has no features: a layer needs at least one (import nothing rather than an empty layer)"}
	}
	if len(lerr.Problems) == 0 {
		rows, err := tx.Query(ctx, `SELECT idx, fid, ST_IsValidReason(g) FROM (
				SELECT idx, fid, ST_GeomFromWKB(wkb, 4490) AS g FROM layer_stage) s
			WHERE NOT ST_IsValid(g) ORDER BY idx LIMIT $1`, maxLayerProblems+1)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var p FeatureProblem
			if err := rows.Scan(&p.Index, &p.FID, &p.Reason); err != nil {
				rows.Close()
				return 0, err
			}
			p.Reason = "invalid geometry (PostGIS): " + p.Reason
			lerr.add(p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if len(lerr.Problems) > 0 {
		return 0, lerr
	}
	return src.read, nil
}

func (e *LayerError) add(p FeatureProblem) {
	if len(e.Problems) < maxLayerProblems {
		e.Problems = append(e.Problems, p)
	} else {
		e.More++
	}
}

// featureSource feeds COPY from the layer reader. Once a feature is bad,
// nothing more is copied but every feature is still read, so that the
// clerk gets the problems of the whole file at once.
type featureSource struct {
	in    LayerImport
	seen  map[string]int
	read  int
	lerr  *LayerError
	row   []any
	fatal error
}

func (s *featureSource) Next() bool {
	for {
		f, err := s.in.Features.Next()
		if errors.Is(err, io.EOF) {
			return false
		}
		var fe *geo.FeatureError
		switch {
		case errors.As(err, &fe):
			s.read++
			s.lerr.add(FeatureProblem{Index: fe.Index, FID: fe.ID, Reason: strings.ReplaceAll(fe.Err.Error(), "\n", "; ")})
			s.progress()
			continue
		case err != nil:
			s.fatal = &ValidationError{Field: "file", Reason: err.Error()}
			return false
		}
		s.read++
		s.progress()
		if prev, dup := s.seen[f.ID]; dup {
			s.lerr.add(FeatureProblem{Index: f.Index, FID: f.ID, Reason: fmt.Sprintf("duplicate feature id: feature %d has the same id", prev)})
			continue
		}
		s.seen[f.ID] = f.Index
		top, bottom, reason := elevationOf(f.Properties)
		if reason != "" {
			s.lerr.add(FeatureProblem{Index: f.Index, FID: f.ID, Reason: reason})
			continue
		}
		if len(s.lerr.Problems) > 0 {
			continue
		}
		props, err := json.Marshal(f.Properties)
		if err != nil {
			s.lerr.add(FeatureProblem{Index: f.Index, FID: f.ID, Reason: "properties cannot be stored: " + err.Error()})
			continue
		}
		var name *string
		if f.Name != "" {
			name = &f.Name
		}
		s.row = []any{f.Index, f.ID, name, props, top, bottom, wkb.MustMarshal(f.Geometry)}
		return true
	}
}

func (s *featureSource) progress() {
	if s.in.Progress != nil && s.read%5000 == 0 {
		s.in.Progress(s.read)
	}
}

func (s *featureSource) Values() ([]any, error) { return s.row, nil }
func (s *featureSource) Err() error             { return s.fatal }

// elevationOf reads the mining elevation range of a feature (existing
// mining rights carry one): both properties or neither, top >= bottom.
func elevationOf(props map[string]any) (top, bottom *float64, reason string) {
	t, hasT := props["elevation_top_m"]
	b, hasB := props["elevation_bottom_m"]
	if (!hasT || t == nil) && (!hasB || b == nil) {
		return nil, nil, ""
	}
	tv, okT := t.(float64)
	bv, okB := b.(float64)
	switch {
	case !okT || !okB:
		return nil, nil, "elevation_top_m and elevation_bottom_m must both be numbers (metres), or both absent when unknown"
	case math.IsNaN(tv) || math.IsInf(tv, 0) || math.Abs(tv) > 11000 || math.IsNaN(bv) || math.IsInf(bv, 0) || math.Abs(bv) > 11000:
		return nil, nil, fmt.Sprintf("elevation range %v…%v m is not plausible", tv, bv)
	case tv < bv:
		return nil, nil, fmt.Sprintf("elevation_top_m %v is below elevation_bottom_m %v: the range runs from top down to bottom", tv, bv)
	}
	return &tv, &bv, ""
}

// SeedLayers loads the check layers the project ships, keyed by layer name
// (GeoJSON), and the counties layer from the county table. A layer whose
// current version came from the same bytes, or was imported by the bureau,
// is left alone, so seeding is idempotent; changed seed data becomes a new
// version.
func (s *Store) SeedLayers(ctx context.Context, files map[string][]byte, source string) (imported []string, err error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		b := files[name]
		sum := sha256.Sum256(b)
		digest := hex.EncodeToString(sum[:])
		// Seed only a layer that is missing, or whose current version was
		// seeded from other bytes: a version the bureau imported is never
		// replaced by the stand-in data.
		var skip bool
		if err := s.db(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM layer WHERE name = $1 AND current
				AND (provenance->>'sha256' = $2 OR provenance->>'seeded' IS DISTINCT FROM 'true'))`,
			name, digest).Scan(&skip); err != nil {
			return imported, fmt.Errorf("registry: seed layers: %w", err)
		}
		if skip {
			continue
		}
		r, err := geo.NewLayerReader(strings.NewReader(string(b)), 0)
		if err != nil {
			return imported, fmt.Errorf("registry: seed layer %s: %w", name, err)
		}
		_, err = s.ImportLayer(ctx, LayerImport{Name: name, Source: source, Features: r,
			Provenance: map[string]any{"sha256": digest, "file": "data/generated/" + name + ".geojson", "geometry_source": GeometryGenerated, "seeded": true}})
		if err != nil {
			return imported, err
		}
		imported = append(imported, name)
	}
	ok, err := s.seedCountiesLayer(ctx)
	if err != nil {
		return imported, err
	}
	if ok {
		imported = append(imported, CountiesLayer)
	}
	return imported, nil
}

// seedCountiesLayer copies the county table into the counties layer when
// the boundaries differ from its current version.
func (s *Store) seedCountiesLayer(ctx context.Context) (bool, error) {
	var changed bool
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('minerights.layer:' || $1, 0))`, CountiesLayer); err != nil {
			return err
		}
		var digest string
		var same bool
		err := tx.QueryRow(ctx, `WITH d AS (SELECT md5(COALESCE(string_agg(code || name || md5(ST_AsBinary(geom)), ',' ORDER BY code), '')) AS h FROM county)
			SELECT d.h, EXISTS (SELECT 1 FROM layer WHERE name = $1 AND current AND provenance->>'sha256' = d.h) FROM d`,
			CountiesLayer).Scan(&digest, &same)
		if err != nil || same {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM county`).Scan(&n); err != nil || n == 0 {
			return err
		}
		var id int64
		var next int
		def := DefaultLayers[CountiesLayer]
		// The version is read first: Citus takes no subquery in an
		// INSERT's values.
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) + 1 FROM layer WHERE name = $1`, CountiesLayer).Scan(&next); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO layer (name, kind, version, title, source, provenance, feature_count, current)
			VALUES ($1, $2, $6, $3, $7, jsonb_build_object('sha256', $4::text, 'from', 'county'), $5, false)
			RETURNING id`, CountiesLayer, def.Kind, def.Title, digest, n, next, CountiesLayerSource).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO layer_feature (layer_id, fid, name, properties, geom, region_code)
			SELECT $1, code, name, jsonb_build_object('code', code, 'name', name), geom, code FROM county`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT layer_regions_build($1)`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE layer SET current = false WHERE name = $1 AND current`, CountiesLayer); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE layer SET current = true WHERE id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify('layer_changed', $1)`, CountiesLayer)
		changed = true
		return err
	})
	if err != nil {
		return false, fmt.Errorf("registry: seed counties layer: %w", err)
	}
	return changed, nil
}
