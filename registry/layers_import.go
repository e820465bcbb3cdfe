package registry

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// insertFeatures moves the staged features of an import into layer_feature
// under layer version id, each filed under its region (region_of,
// 013_regions.sql and 017_county_piece.sql: the code of the county holding
// ST_PointOnSurface of the feature, the least code when several do, the
// empty code when none does; on Citus the distribution column, so it is
// decided on the coordinator before the row is routed). region_of tests the
// point against the indexed county pieces, about 20 µs a feature.
func insertFeatures(ctx context.Context, tx pgx.Tx, id int64) error {
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
		SELECT $1, fid, name, properties, top, bottom, g, region_of(s.g)
		FROM (SELECT fid, name, properties, top, bottom, ST_Multi(ST_GeomFromWKB(wkb, 4490)) AS g FROM layer_stage) s`, id)
	return err
}
