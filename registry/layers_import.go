package registry

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// countyPieceVertices bounds the vertices of the county pieces a feature's
// region is looked up in: a county has thousands of vertices, and a
// point-in-polygon test against a piece of a few dozen, found through the
// pieces' index, is what makes the lookup cheap.
const countyPieceVertices = 64

// insertFeatures moves the staged features of an import into layer_feature
// under layer version id, each filed under its region (013_regions.sql: the
// code of the county holding ST_PointOnSurface of the feature, the least
// code when several do, the empty code when none does; on Citus the distribution
// column, so it is known before the row is routed).
//
// The region is found set-wise, not with region_of() once per feature:
// region_of tests the point against every whole county (thousands of
// vertices, detoasted on each call), which was half of an import's time
// (12 of 26 s for 100,000 features). Here the counties are cut once per
// import into pieces of at most countyPieceVertices vertices, indexed, and
// each point is tested against the few pieces whose box holds it. The
// pieces cover the county and nothing else (ST_Subdivide cuts it along
// straight lines both sides share), so a point is covered by a piece of a
// county when the county covers it; where a cut introduces a vertex its
// coordinates are rounded, which could only matter for a point exactly on
// such a vertex. TestImportRegionsAsRegionOf compares the regions with
// region_of's, points on shared county boundaries included; the 100,000
// generated red lines of the measurement got region_of's region, every one.
func insertFeatures(ctx context.Context, tx pgx.Tx, id int64) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE layer_stage_county ON COMMIT DROP AS
		SELECT code, ST_Subdivide(geom, $1) AS g FROM county`, countyPieceVertices); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE INDEX ON layer_stage_county USING gist (g)`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `ANALYZE layer_stage_county`); err != nil {
		return err
	}
	// On Citus the insert fans out to the regions' shards; the database
	// runs multi-shard writes one shard at a time (CitusSettings, for the
	// sales' transactions), which made an import of 1M features copy them
	// shard after shard. An import may run them in parallel: layer_feature
	// has no foreign key on Citus (CitusDroppedForeignKeys), ImportLayer
	// has written the layer row before, and the only reference table
	// written after (layer_region) is referred to by none, which is what
	// Citus asks of a write after a parallel one. On one PostgreSQL the
	// setting is an inert placeholder.
	if _, err := tx.Exec(ctx, `SET LOCAL citus.multi_shard_modify_mode = 'parallel'`); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO layer_feature (layer_id, fid, name, properties, elevation_top_m, elevation_bottom_m, geom, region_code)
		SELECT $1, fid, name, properties, top, bottom, g,
			COALESCE((SELECT min(c.code) FROM layer_stage_county c WHERE ST_Covers(c.g, ST_PointOnSurface(s.g))), '')
		FROM (SELECT fid, name, properties, top, bottom, ST_Multi(ST_GeomFromWKB(wkb, 4490)) AS g FROM layer_stage) s`, id)
	return err
}
