package registry

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool is a connection pool on the database. Commands open it with
// OpenPool and hand it to New, WithPublicPool and WithReplica, so that
// only this package and the infrastructure speak pgx.
type Pool = pgxpool.Pool

// PoolOptions configure a pool OpenPool opens.
type PoolOptions struct {
	// MaxConns, when positive, is the pool's size. A pool_max_conns in the
	// URL wins over it unless SizeOverURL is set.
	MaxConns    int32
	SizeOverURL bool
	// StatementTimeout, when positive, stops any statement of the pool's
	// sessions that runs longer (the server answers 57014, ErrBusy here).
	StatementTimeout time.Duration
}

// OpenPool returns a pool on the database at url; it connects lazily.
func OpenPool(ctx context.Context, url string, o PoolOptions) (*Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if o.MaxConns > 0 && (o.SizeOverURL || !strings.Contains(url, "pool_max_conns")) {
		cfg.MaxConns = o.MaxConns
	}
	if o.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	cfg.AfterConnect = AfterConnect(cfg.AfterConnect) // geometry as EWKB through go-geom
	return pgxpool.NewWithConfig(ctx, cfg)
}
