package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Placement is where a table lives on a Citus cluster.
type Placement string

const (
	// Reference tables are copied whole to every node: small, read by
	// every query that joins them, written rarely (a write is a two-phase
	// commit across the nodes).
	Reference Placement = "reference"
	// Distributed tables are hash-partitioned into shards on the workers by
	// their distribution column.
	Distributed Placement = "distributed"
	// Coordinator tables stay plain tables on the coordinator: used alone,
	// never joined with a distributed table, with trigger logic that must
	// run where the statement runs.
	Coordinator Placement = "coordinator"
)

// CitusTable is one line of the distribution plan.
type CitusTable struct {
	Name      string
	Placement Placement
	// Column is the distribution column of a distributed table.
	Column string
	// ColocateWith names the table whose shards it shares, so that the
	// rows of one key (one sale) are on one worker.
	ColocateWith string
	Why          string
}

// CitusPlan classifies every table of the schema, in the order the tables
// are placed. A table missing from it makes Distribute refuse (and
// TestCitusPlanCoversEveryTable fail), so a migration that adds a table must
// say here where it goes.
var CitusPlan = []CitusTable{
	{"county", Reference, "", "", "a few thousand counties nationally; joined by every parcel and region lookup"},
	{"parcel", Reference, "", "", "tens of thousands of rights nationally; a check reads the registered parcels near the subject (the 3-D rule) wherever they are, sales refer to them, and insertSale's row lock on the parcel is what keeps one live sale per parcel"},
	{"parcel_reserve", Reference, "", "", "lines of a parcel (a reference table)"},
	{"parcel_capacity", Reference, "", "", "lines of a parcel (a reference table)"},
	{"bidder", Reference, "", "", "companies, thousands nationally; referenced by bids, participants, deposits and tokens on every shard"},
	{"api_token", Reference, "", "", "looked up by digest on every request, before any sale is known"},
	{"layer", Reference, "", "", "a few hundred layer versions; joined by every check and map query"},
	{"layer_region", Reference, "", "", "the coverage of each layer's regions: a check reads it to know which shards to ask"},
	{"compliance_rule", Reference, "", "", "the rule book, a handful of rows"},
	{"compliance_setting", Reference, "", "", "one row"},
	{"compliance_report", Reference, "", "", "a few reports per parcel; parcel_compliance_problem() and the parcels map layer read them with the parcel, and its map trigger must fire on the coordinator's copy, where the servers listen"},
	{"account", Reference, "", "", "browser accounts, thousands nationally; read with the session on every signed-in request, before any sale is known"},
	{"web_session", Reference, "", "", "looked up by its digest on every signed-in request, before any sale is known"},
	{"login_failure", Reference, "", "", "recent failed sign-ins, counted per login and address across every process"},
	{"audit_checkpoint", Reference, "", "", "one global chain over the heads of the per-sale chains, written once per period"},
	{"map_overview", Reference, "", "", "a few hundred pieces per large layer version, read by low-zoom tiles"},
	{"map_overview_built", Reference, "", "", "one row per overview"},
	{"calendar_year_version", Coordinator, "", "", "a few rows per year, used alone; the history is written by calendar_year's triggers, which must run where the statement runs"},
	{"calendar_year", Coordinator, "", "", "as calendar_year_version: its triggers number and keep each load"},
	{"county_piece", Coordinator, "", "", "the counties cut into small indexed pieces for region_of, which only the coordinator calls (an import decides a feature's region before routing the feature); on the coordinator the lookup stays a plain PostgreSQL one, about 20 µs a feature, where a reference table would route every call through Citus's executor. Derived from county by county_pieces_build() in the seed's transaction"},
	{"schema_version", Coordinator, "", "", "tern's migration record"},
	{"sale", Distributed, "id", "", "a sale and all that is keyed by it live on one shard: a bid is a single-shard transaction"},
	{"sale_participant", Distributed, "sale_id", "sale", "keyed by sale"},
	{"bid", Distributed, "sale_id", "sale", "keyed by sale: appended in the bid's transaction on the sale's shard"},
	{"audit_event", Distributed, "sale_id", "sale", "one hash chain per sale, on the sale's shard"},
	{"deposit_entry", Distributed, "sale_id", "sale", "keyed by sale"},
	{"sale_notice", Distributed, "sale_id", "sale", "keyed by sale"},
	{"sale_contract", Distributed, "sale_id", "sale", "keyed by sale"},
	{"contract_instalment", Distributed, "sale_id", "sale", "keyed by sale"},
	{"contract_payment", Distributed, "sale_id", "sale", "keyed by sale"},
	{"layer_feature", Distributed, "region_code", "", "hundreds of millions of polygons nationally; by region (013_regions.sql), so a check reads one shard except near a boundary"},
}

// CitusChange is a change the schema needs on Citus before its tables are
// distributed, with the reason. Every statement is idempotent.
type CitusChange struct {
	SQL string
	Why string
}

// CitusChanges are applied in order, after the foreign keys are dropped and
// before the tables are placed; the foreign keys are then added back except
// those named in CitusDroppedForeignKeys.
var CitusChanges = []CitusChange{
	{`DROP TRIGGER IF EXISTS parcel_in_sale_guard ON parcel;
	  DROP TRIGGER IF EXISTS parcel_reserve_in_sale_guard ON parcel_reserve;
	  DROP TRIGGER IF EXISTS parcel_capacity_in_sale_guard ON parcel_capacity`,
		"a trigger on a reference table runs on every node's copy, where it cannot read the distributed sale table; the service keeps the same rule (a parcel of an announced or sold sale changes only through the sale) in UpdateParcel and the sale's correction, under the parcel's row lock that sale creation also takes"},
	{`ALTER TABLE layer_feature DROP CONSTRAINT IF EXISTS layer_feature_pkey;
	  ALTER TABLE layer_feature ADD PRIMARY KEY (layer_id, fid, region_code)`,
		"a unique key of a distributed table must hold its distribution column; fids stay unique per layer version because the import refuses a file that repeats one (featureSource) and a feature has one region"},
	{`ALTER TABLE deposit_entry DROP CONSTRAINT IF EXISTS deposit_entry_pkey;
	  ALTER TABLE deposit_entry ADD PRIMARY KEY (sale_id, id)`,
		"the key must hold sale_id; id still comes from one identity sequence"},
	{`ALTER TABLE contract_payment DROP CONSTRAINT IF EXISTS contract_payment_pkey;
	  ALTER TABLE contract_payment ADD PRIMARY KEY (sale_id, id)`,
		"the key must hold sale_id; id still comes from one identity sequence"},
	{`DROP INDEX IF EXISTS sale_one_live_per_parcel`,
		"a unique index of sale must hold its id, so one live sale per parcel cannot be an index: insertSale locks the parcel row (a reference table: every copy is locked) and looks for a live sale under that lock, which serialises the sales of one parcel"},
	{`DROP TRIGGER IF EXISTS layer_feature_map_inserted ON layer_feature;
	  DROP TRIGGER IF EXISTS layer_feature_map_updated ON layer_feature;
	  DROP TRIGGER IF EXISTS layer_feature_map_deleted ON layer_feature`,
		"on Citus a trigger of a distributed table fires on the worker that holds the shard, where no server listens, and these read layer from there; the import already announces the layer through its layer row (map_layer_notify on the reference table fires on the coordinator's copy) and pg_notify('layer_changed'); features are never edited in place by the service"},
	{`DROP TRIGGER IF EXISTS sale_map_changed ON sale;
	  DROP TRIGGER IF EXISTS sale_map_added ON sale`,
		"would notify on the worker of the sale's shard, where no server listens: every sale change is announced after its commit by the registry's notifier (Store.notify: 'sales' and 'parcels' on map_changed)"},
	{`CREATE OR REPLACE FUNCTION map_notify() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE
	    topic text;
	BEGIN
	    IF NOT citus_is_coordinator() THEN
	        RETURN NULL;
	    END IF;
	    FOREACH topic IN ARRAY TG_ARGV LOOP
	        PERFORM pg_notify('map_changed', topic);
	    END LOOP;
	    RETURN NULL;
	END
	$$`,
		"a trigger of a reference table fires on every node's copy; the servers listen on the coordinator, and a worker that notified could not take part in the two-phase commit of a write to a reference table (PostgreSQL cannot PREPARE a transaction that ran NOTIFY), so only the coordinator's copy notifies"},
	{`CREATE OR REPLACE FUNCTION map_layer_notify() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	    IF NOT citus_is_coordinator() THEN
	        RETURN NULL;
	    END IF;
	    IF TG_OP <> 'INSERT' THEN
	        PERFORM pg_notify('map_changed', OLD.name);
	    END IF;
	    IF TG_OP <> 'DELETE' THEN
	        PERFORM pg_notify('map_changed', NEW.name);
	    END IF;
	    PERFORM pg_notify('map_changed', '*catalog');
	    RETURN NULL;
	END
	$$`,
		"as map_notify: the layer table is a reference table"},
}

// CitusSettings are set on the database (ALTER DATABASE ... SET) by
// Distribute, with why.
var CitusSettings = []CitusChange{
	{`citus.multi_shard_modify_mode = 'sequential'`,
		"a transaction that read several shards over parallel connections may not write a reference table afterwards (Citus cannot tell which connection saw what); a sale's transitions read across sales (the live sale of a parcel) and then write the parcel, so multi-shard statements use one connection per worker"},
	{`citus.enable_unsafe_triggers = on`,
		"Citus refuses to create, enable or disable triggers on distributed tables unless told they are safe; the schema's are (the append-only refusals and parcel_right_changed read no other table; the notifying ones are replaced or dropped above), and later migrations may add more of the same kind"},
}

// CitusDroppedForeignKeys are the foreign keys Citus cannot keep, with why.
var CitusDroppedForeignKeys = map[string]string{
	"layer_feature_layer_id_fkey": "an import inserts the layer version (a reference table) and then its features in one transaction; with this key Citus runs the features' insert one shard at a time after that write (a modified reference table forces sequential mode on the tables that refer to it) and refuses to update the version after a parallel insert. The features of a version are written only by the import that makes the version, in its transaction, and versions are never deleted, so no feature lacks its layer",
	"sale_previous_sale_id_fkey":  "a foreign key between distributed tables must join their distribution columns, and the previous round of a sale is another sale, possibly on another shard; the registry writes it only from the sale it has just read under lock",
}

// ErrNotCitus is returned by Distribute on a database without Citus.
var ErrNotCitus = errors.New("registry: the citus extension is not installed in this database")

// UnclassifiedTables returns the tables of the public schema that
// CitusPlan does not place, and the plan's tables that do not exist.
// Tables owned by an extension (PostGIS's spatial_ref_sys) are not the
// schema's.
func UnclassifiedTables(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (missing, unknown []string, err error) {
	rows, err := db.Query(ctx, `SELECT c.relname FROM pg_class c
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
		AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY 1`)
	if err != nil {
		return nil, nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, err
	}
	planned := map[string]bool{}
	for _, t := range CitusPlan {
		planned[t.Name] = true
	}
	for _, n := range names {
		if !planned[n] {
			missing = append(missing, n)
		}
	}
	for _, t := range CitusPlan {
		if !slices.Contains(names, t.Name) {
			unknown = append(unknown, t.Name)
		}
	}
	return missing, unknown, nil
}

// Distribute places the schema of a migrated database on its Citus
// cluster following CitusPlan (the workers must already be added). It
// refuses when a table is not in the plan. It is idempotent: a database
// already distributed is left as it is. It returns what it did, one line
// per step.
func Distribute(ctx context.Context, url string) ([]string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	defer conn.Close(ctx)
	var citus bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')`).Scan(&citus); err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	if !citus {
		return nil, ErrNotCitus
	}
	missing, unknown, err := UnclassifiedTables(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	if len(missing) > 0 || len(unknown) > 0 {
		return nil, fmt.Errorf("registry: distribute: the plan (registry.CitusPlan) does not match the schema: unplaced tables %v, planned tables that do not exist %v", missing, unknown)
	}
	var placed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text = ANY($1)`, planNames()).Scan(&placed); err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	if placed > 0 {
		return []string{fmt.Sprintf("already distributed (%d tables placed)", placed)}, nil
	}
	var log []string
	// Triggers of distributed tables run on the shards; the ones kept
	// (append-only refusals, the parcel's right_changed_at) read no other
	// table, which is what makes them safe there.
	if _, err := conn.Exec(ctx, `SET citus.enable_unsafe_triggers = on`); err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	// Foreign keys are dropped first and added back last: Citus checks a
	// key against the placement of both of its tables, and the tables are
	// placed one by one.
	rows, err := conn.Query(ctx, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY conrelid::regclass::text, conname`)
	if err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	type fk struct{ table, name, def string }
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		err := r.Scan(&f.table, &f.name, &f.def)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: distribute: %w", err)
	}
	for _, f := range fks {
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s",
			pgx.Identifier{f.table}.Sanitize(), pgx.Identifier{f.name}.Sanitize())); err != nil {
			return log, fmt.Errorf("registry: distribute: drop %s: %w", f.name, err)
		}
	}
	for _, c := range CitusChanges {
		if _, err := conn.Exec(ctx, c.SQL); err != nil {
			return log, fmt.Errorf("registry: distribute: %s: %w", firstLine(c.SQL), err)
		}
		log = append(log, "changed: "+firstLine(c.SQL))
	}
	var dbname string
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&dbname); err != nil {
		return log, fmt.Errorf("registry: distribute: %w", err)
	}
	for _, c := range CitusSettings {
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{dbname}.Sanitize()+" SET "+c.SQL); err != nil {
			return log, fmt.Errorf("registry: distribute: %s: %w", c.SQL, err)
		}
		log = append(log, "set: "+c.SQL)
	}
	for _, t := range CitusPlan {
		var q string
		var args []any
		switch t.Placement {
		case Reference:
			q, args = `SELECT create_reference_table($1)`, []any{t.Name}
		case Distributed:
			colo := "default"
			if t.ColocateWith != "" {
				colo = t.ColocateWith
			}
			q, args = `SELECT create_distributed_table($1, $2, colocate_with => $3)`, []any{t.Name, t.Column, colo}
		default:
			log = append(log, fmt.Sprintf("%s: stays on the coordinator", t.Name))
			continue
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			return log, fmt.Errorf("registry: distribute %s: %w", t.Name, err)
		}
		if t.Placement == Distributed {
			log = append(log, fmt.Sprintf("%s: distributed by %s", t.Name, t.Column))
		} else {
			log = append(log, fmt.Sprintf("%s: reference", t.Name))
		}
	}
	for _, f := range fks {
		if why, ok := CitusDroppedForeignKeys[f.name]; ok {
			log = append(log, fmt.Sprintf("foreign key %s dropped: %s", f.name, why))
			continue
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s",
			pgx.Identifier{f.table}.Sanitize(), pgx.Identifier{f.name}.Sanitize(), f.def)); err != nil {
			return log, fmt.Errorf("registry: distribute: foreign key %s: %w", f.name, err)
		}
	}
	return log, nil
}

func planNames() []string {
	out := make([]string, len(CitusPlan))
	for i, t := range CitusPlan {
		out[i] = t.Name
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
