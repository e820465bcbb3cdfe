package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"minerights/auction"
	"minerights/maps"
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
	capacityFlags
	Zone      int    `name:"zone" env:"MINERIGHTS_ZONE" default:"38" help:"CGCS2000 3° zone (25-45) a corner-point file without 带号 is read in; files naming their zone and every parcel's measures use the parcel's own zone."`
	Authority string `name:"authority" env:"MINERIGHTS_AUTHORITY" default:"自然资源和规划局" help:"The issuing authority named on the pages and on printed documents, e.g. 驻马店市自然资源和规划局."`
	transferFlags
	streamFlags
}

// capacityFlags size what anonymous callers may take and say what the
// server exposes: its pools, the public statement timeout, the per-client
// limit, the public URL and the metrics listener.
type capacityFlags struct {
	BidPoolSize            int32         `name:"bid-pool-size" env:"MINERIGHTS_BID_POOL_SIZE" default:"16" help:"Connections for bids, sale transitions, the scheduler and authenticated callers (pool_max_conns in DATABASE_URL overrides it)."`
	PublicPoolSize         int32         `name:"public-pool-size" env:"MINERIGHTS_PUBLIC_POOL_SIZE" default:"2" help:"Connections for anonymous reads (parcels, sales, OGC items, tiles, audit) on the primary; they never take the bid pool's."`
	PublicStatementTimeout time.Duration `name:"public-statement-timeout" env:"MINERIGHTS_PUBLIC_STATEMENT_TIMEOUT" default:"5s" help:"statement_timeout of the public pool (and the replica): a longer anonymous query is stopped with 503."`
	PublicRequestTimeout   time.Duration `name:"public-request-timeout" env:"MINERIGHTS_PUBLIC_REQUEST_TIMEOUT" default:"30s" help:"How long an anonymous request may take in all, waiting for a public connection included (event streams excepted)."`
	PerClient              int           `name:"per-client" env:"MINERIGHTS_PER_CLIENT" default:"8" help:"Anonymous requests one client address may have in flight; more get 429. 0 turns the limit off."`
	PublicURL              string        `name:"public-url" env:"MINERIGHTS_PUBLIC_URL" help:"URL the service is reached at, for OGC links and TileJSON (default: http:// and the listen address); the Host header is never used."`
	TrustedProxies         string        `name:"trusted-proxies" env:"MINERIGHTS_TRUSTED_PROXIES" help:"Comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client."`
	MetricsAddr            string        `name:"metrics-addr" env:"MINERIGHTS_METRICS_ADDR" help:"Address to serve /metrics on (e.g. 127.0.0.1:9090); empty serves no metrics. Never on the public listener."`
}

// openPool connects to the database named by --database-url.
func (g *globals) openPool(ctx context.Context) (*registry.Pool, error) {
	return g.openPoolWith(ctx, registry.PoolOptions{})
}

// openPoolWith is openPool with the pool configured by o.
func (g *globals) openPoolWith(ctx context.Context, o registry.PoolOptions) (*registry.Pool, error) {
	if g.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set and no local cluster runs in .data/: point DATABASE_URL at PostgreSQL with PostGIS, or run `make run` (or `make db-start`) here to start the local cluster")
	}
	pool, err := registry.OpenPool(ctx, g.DatabaseURL, o)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return pool, nil
}

// handler builds the API from deps, with request ids, logs and metrics
// around it and the exposure limits (openapi.Guard) inside them. It returns
// the metrics handler, the pools' among them, to be served on a listener of
// its own.
func handler(deps openapi.Deps, acc pages.Accounts, x openapi.Exposure, listenAddr string, pools map[string]*registry.Pool, authority string) (api, metrics http.Handler) {
	mux := http.NewServeMux()
	m := openapi.NewMetrics()
	for name, pool := range pools {
		m.Register(poolCollectors(name, pool)...)
	}
	deps.Metrics = m
	openapi.New(mux, deps)
	pages.New(mux, pages.Deps{Accounts: acc, API: mux, Log: deps.Logger, Authority: authority,
		Calendar: func(ctx context.Context) (auction.Calendar, error) {
			return deps.Store.Calendar(ctx, deps.Transfer.Calendars)
		}})
	return openapi.Wrap(pages.Protect(openapi.Guard(mux, x, listenAddr)), deps.Logger, m), m.Handler()
}

// poolCollectors report a connection pool (label pool: bid, public,
// replica): a pool that runs dry shows here before requests start to time
// out.
func poolCollectors(name string, pool *registry.Pool) []prometheus.Collector {
	labels := prometheus.Labels{"pool": name}
	gauge := func(metric, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: metric, Help: help, ConstLabels: labels}, f)
	}
	return []prometheus.Collector{
		gauge("minerights_db_pool_acquired_conns", "Connections in use.", func() float64 { return float64(pool.Stat().AcquiredConns()) }),
		gauge("minerights_db_pool_idle_conns", "Idle connections.", func() float64 { return float64(pool.Stat().IdleConns()) }),
		gauge("minerights_db_pool_total_conns", "Open connections.", func() float64 { return float64(pool.Stat().TotalConns()) }),
		gauge("minerights_db_pool_max_conns", "Pool size limit.", func() float64 { return float64(pool.Stat().MaxConns()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "minerights_db_pool_empty_acquires_total", Help: "Acquires that had to wait for a connection.", ConstLabels: labels},
			func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }),
	}
}

// pools opens the bid pool and the public pool on the primary. The public
// pool's sessions carry the statement timeout, so a costly anonymous query
// ends there and never holds a connection a bid could want.
func (c *capacityFlags) pools(ctx context.Context, g *globals) (bid, public *registry.Pool, err error) {
	if c.PublicPoolSize < 1 || c.BidPoolSize < 1 {
		return nil, nil, errors.New("--bid-pool-size and --public-pool-size must be at least 1")
	}
	bid, err = g.openPoolWith(ctx, registry.PoolOptions{MaxConns: c.BidPoolSize})
	if err != nil {
		return nil, nil, err
	}
	public, err = g.openPoolWith(ctx, registry.PoolOptions{MaxConns: c.PublicPoolSize, SizeOverURL: true, StatementTimeout: c.PublicStatementTimeout})
	if err != nil {
		bid.Close()
		return nil, nil, err
	}
	return bid, public, nil
}

// exposure is the openapi.Exposure of the flags.
func (c *capacityFlags) exposure() (openapi.Exposure, error) {
	if err := openapi.CheckPublicURL(c.PublicURL); err != nil {
		return openapi.Exposure{}, fmt.Errorf("MINERIGHTS_PUBLIC_URL: %w", err)
	}
	proxies, err := openapi.ParseProxies(c.TrustedProxies)
	if err != nil {
		return openapi.Exposure{}, fmt.Errorf("MINERIGHTS_TRUSTED_PROXIES: %w", err)
	}
	per := c.PerClient
	if per == 0 {
		per = -1
	}
	return openapi.Exposure{PublicURL: c.PublicURL, TrustedProxies: proxies, PerClient: per, PublicTimeout: c.PublicRequestTimeout}, nil
}

func (c *serveCmd) Run(ctx context.Context, g *globals) error {
	if err := maps.CheckBasemapURL(c.BasemapURL); err != nil {
		return err
	}
	x, err := c.exposure()
	if err != nil {
		return err
	}
	pool, public, err := c.pools(ctx, g)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer public.Close()
	pools := map[string]*registry.Pool{"bid": pool, "public": public}
	store := registry.New(pool).WithPublicPool(public)
	if c.ReadURL != "" {
		read, err := registry.OpenPool(ctx, c.ReadURL, registry.PoolOptions{StatementTimeout: c.PublicStatementTimeout})
		if err != nil {
			return fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		defer read.Close()
		pools["replica"] = read
		store = store.WithReplica(read, c.ReplicaMaxLag)
	}
	life := openapi.NewLifecycle()
	// Background work (the store's notifications, the replica monitor, the
	// notification hub, the scheduler, the event fan-out and the halls that
	// write the taken-over streams) runs in goroutines
	// this function starts and stops with bgctx, after the HTTP servers; it
	// returns only after every one of them has, before the pools close.
	var bg sync.WaitGroup
	defer bg.Wait()
	bgctx, stopBg := context.WithCancel(ctx)
	defer stopBg()
	bg.Go(func() {
		if err := store.Run(bgctx); err != nil {
			g.log.Error("change notifications stopped", "err", err)
		}
	})
	if c.ReadURL != "" {
		bg.Go(func() { store.MonitorReplica(bgctx, time.Second) })
	}
	xfer, err := c.transfer(bgctx, store, g, &bg)
	if err != nil {
		return err
	}
	events, limits := c.events(store, xfer.Hub, g.log)
	bg.Go(func() { _ = events.Run(bgctx) })
	xfer.Events, xfer.Streams = events, limits
	if halls := c.halls(life, g.log); halls != nil {
		bg.Go(func() { _ = halls.Run(bgctx) })
		xfer.Halls = halls
	}
	layers := c.maps(store, g)
	bg.Go(func() { _ = layers.Run(bgctx) })
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	api, metrics := handler(openapi.Deps{Store: store, Logger: g.log, Zone: c.Zone, Lifecycle: life, Transfer: xfer, Maps: layers}, store, x, ln.Addr().String(), pools, c.Authority)
	return c.listen(ctx, g, ln, api, metrics, life)
}

// listen serves api on ln (and metrics on --metrics-addr) until ctx ends,
// then drains: /readyz fails and streams end at once, requests in flight
// finish within the shutdown timeout. It returns after the listeners'
// goroutines have.
func (c *serveCmd) listen(ctx context.Context, g *globals, ln net.Listener, api, metrics http.Handler, life *openapi.Lifecycle) error {
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	var servers sync.WaitGroup
	defer servers.Wait()
	errc := make(chan error, 2)
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("MINERIGHTS_METRICS_ADDR: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		defer msrv.Close()
		g.log.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics")
		servers.Go(func() {
			if err := msrv.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		})
	}
	g.log.Info("serving", "addr", "http://"+ln.Addr().String(), "docs", "http://"+ln.Addr().String()+"/docs")
	servers.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	})
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	// Request contexts are not derived from the signal, so that a SIGTERM
	// does not cancel them.
	g.log.Info("draining", "drain_delay", c.DrainDelay, "timeout", c.ShutdownTimeout)
	life.Drain()
	time.Sleep(c.DrainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // what did not finish in time is cut off
		return fmt.Errorf("shutdown: %w", err)
	}
	g.log.Info("stopped")
	return nil
}

// maps makes the map layers; a cache of 0 MiB is off. Their change
// listener runs in the background work, as long as the server.
func (c *serveCmd) maps(store *registry.Store, g *globals) *maps.Server {
	cfg := maps.Config{TileCacheBytes: int64(c.TileCacheMB) << 20,
		Basemap: maps.Basemap{URL: c.BasemapURL, Attribution: c.BasemapAttrib}}
	if c.TileCacheMB <= 0 {
		cfg.TileCacheBytes = -1
	}
	return maps.New(store, g.log, cfg)
}
