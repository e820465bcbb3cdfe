package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"minerights/auction"
	"minerights/openapi"
	"minerights/registry"
	"minerights/web/pages"
)

type serveCmd struct {
	Addr            string        `name:"addr" env:"MINERIGHTS_ADDR" default:"127.0.0.1:8080" help:"Address to listen on."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" env:"MINERIGHTS_SHUTDOWN_TIMEOUT" default:"15s" help:"How long SIGTERM waits for requests in flight."`
	ReadURL         string        `name:"database-read-url" env:"DATABASE_READ_URL" help:"PostgreSQL URL of a streaming replica for public reads, maps and features (optional)."`
	ReplicaMaxLag   time.Duration `name:"replica-max-lag" env:"MINERIGHTS_REPLICA_MAX_LAG" default:"2s" help:"Reads go to the primary while the replica lags more than this."`
	DrainDelay      time.Duration `name:"drain-delay" env:"MINERIGHTS_DRAIN_DELAY" default:"0s" help:"How long /readyz fails before the listener closes, so load balancers stop routing here."`
	TileCacheMB     int           `name:"tile-cache-mb" env:"MINERIGHTS_TILE_CACHE_MB" default:"256" help:"In-process vector tile cache, MiB; 0 turns it off."`
	BasemapURL      string        `name:"basemap-url" env:"MINERIGHTS_BASEMAP_URL" help:"XYZ raster tile URL ({z}/{x}/{y}) the web map offers as a base map (off by default; empty: nothing is fetched from another host)."`
	BasemapAttrib   string        `name:"basemap-attribution" env:"MINERIGHTS_BASEMAP_ATTRIBUTION" help:"Attribution shown with the base map."`
	Authority       string        `name:"authority" env:"MINERIGHTS_AUTHORITY" default:"自然资源和规划局" help:"The issuing authority named on printed documents, e.g. 驻马店市自然资源和规划局."`
	transferFlags
}

// openPool connects to the database named by --database-url.
func (g *globals) openPool(ctx context.Context) (*pgxpool.Pool, error) {
	if g.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set and no local cluster runs in .data/: point DATABASE_URL at PostgreSQL with PostGIS, or run `make run` (or `make db-start`) here to start the local cluster")
	}
	cfg, err := pgxpool.ParseConfig(g.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return pool, nil
}

// handler builds the API and the pages from deps, with request ids, logs and metrics
// around it and the metrics, the pool's among them, at /metrics.
func handler(deps openapi.Deps, pool *pgxpool.Pool, authority string) http.Handler {
	mux := http.NewServeMux()
	m := openapi.NewMetrics()
	m.Register(poolCollectors(pool)...)
	deps.Metrics = m
	openapi.New(mux, deps)
	pages.New(mux, pages.Deps{Accounts: deps.Store, API: mux, Log: deps.Logger, Authority: authority,
		Calendar: func(ctx context.Context) (auction.Calendar, error) {
			return deps.Store.Calendar(ctx, deps.Transfer.Calendars)
		}})
	mux.Handle("GET /metrics", m.Handler())
	return openapi.Wrap(pages.Protect(mux), deps.Logger, m)
}

// poolCollectors report the connection pool: a pool that runs dry shows
// here before requests start to time out.
func poolCollectors(pool *pgxpool.Pool) []prometheus.Collector {
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(pool.Stat()) })
	}
	return []prometheus.Collector{
		gauge("minerights_db_pool_acquired_conns", "Connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) }),
		gauge("minerights_db_pool_idle_conns", "Idle connections.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) }),
		gauge("minerights_db_pool_total_conns", "Open connections.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) }),
		gauge("minerights_db_pool_max_conns", "Pool size limit.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "minerights_db_pool_empty_acquires_total", Help: "Acquires that had to wait for a connection."},
			func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }),
	}
}

func (c *serveCmd) Run(ctx context.Context, g *globals) error {
	if err := openapi.CheckBasemapURL(c.BasemapURL); err != nil {
		return err
	}
	pool, err := g.openPool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := registry.New(pool)
	if c.ReadURL != "" {
		read, err := pgxpool.New(ctx, c.ReadURL)
		if err != nil {
			return fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		defer read.Close()
		store = store.WithReplica(read, c.ReplicaMaxLag)
		go store.MonitorReplica(ctx, time.Second)
	}
	life := openapi.NewLifecycle()
	xfer, err := c.transfer(ctx, store, g)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler(openapi.Deps{Store: store, Logger: g.log, Lifecycle: life, Transfer: xfer, Maps: c.maps(ctx)}, pool, c.Authority),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	g.log.Info("serving", "addr", "http://"+ln.Addr().String(), "docs", "http://"+ln.Addr().String()+"/docs")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Draining: /readyz fails and streams end at once; requests in flight
	// finish within the shutdown timeout. Request contexts are not derived
	// from the signal so that a SIGTERM does not cancel them.
	g.log.Info("draining", "drain_delay", c.DrainDelay, "timeout", c.ShutdownTimeout)
	life.Drain()
	time.Sleep(c.DrainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	g.log.Info("stopped")
	return nil
}

// maps configures the map layers: the change listener runs as long as the
// server, and a cache of 0 MiB is off.
func (c *serveCmd) maps(ctx context.Context) openapi.Maps {
	m := openapi.Maps{Context: ctx, TileCacheBytes: int64(c.TileCacheMB) << 20,
		Basemap: openapi.Basemap{URL: c.BasemapURL, Attribution: c.BasemapAttrib}}
	if c.TileCacheMB <= 0 {
		m.TileCacheBytes = -1
	}
	return m
}
