// Package openapi is the HTTP surface of minerights, described by OpenAPI
// 3.1 through huma: operations, their input and output shapes, roles, and the
// one mapping from domain errors to RFC 9457 problem details. The generated
// openapi.yaml beside this file is a golden file kept current by a test.
package openapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"minerights/maps"
)

// Version is the API version shown in the OpenAPI document.
const Version = "1.0.0"

// DefaultZone is the 3° Gauss-Krüger zone of Zhumadian.
const DefaultZone = 38

// Deps are what the handlers need. Store may be nil when the API is built
// only to write its OpenAPI document.
type Deps struct {
	Store  Store
	Logger *slog.Logger
	// Lifecycle, when set, makes /readyz fail while the process drains.
	Lifecycle *Lifecycle
	// Metrics, when set, counts domain events such as bids beside the HTTP
	// metrics Wrap records.
	Metrics *Metrics
	// Zone is the 3° Gauss-Krüger zone a corner-point file without 带号
	// is read in; a file naming its zone is read in that zone, and every
	// parcel is measured in its own zone (from its longitude). Zero means
	// 38 (CM 114°E, the whole of Zhumadian).
	Zone int
	// Transfer configures sales: rules, calendar files, live events, bid
	// limits.
	Transfer Transfer
	// Maps serves the map layers (maps.New; cmd runs its change listener);
	// nil serves them on Store without a cache.
	Maps *maps.Server
}

// server carries the dependencies into the handlers.
type server struct {
	store Store
	log   *slog.Logger
	zone  int
	life  *Lifecycle
	met   *Metrics
	xfer  transfer
}

// Config returns the huma configuration used in production and in tests.
func Config() huma.Config {
	cfg := huma.DefaultConfig("minerights", Version)
	cfg.Info.Description = "Mining-rights registry and transfer (采矿权出让) service of a natural resources bureau: " +
		"parcels with their corner points (拐点坐标, CGCS2000 3° Gauss-Krüger), reserves and starting prices; " +
		"spatial compliance checks; listing, auction and tender; map layers."
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = "" // served by registerDocs from vendored files, not a CDN
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "A token made with `minerights token create --role ROLE --name NAME`. A browser signed in on /login sends its session cookie instead, with X-CSRF-Token on changes."},
	}
	cfg.Tags = []*huma.Tag{
		{Name: "parcels", Description: "The parcel registry."},
		{Name: "service", Description: "Health and readiness."},
		{Name: "compliance", Description: "Spatial compliance: check layers, the rule table, reports and what-if checks, in metres of the parcel's own CGCS2000 3° zone (EPSG:4526 for zone 38)."},
		{Name: "sales", Description: "The transfer (采矿权出让): announcements, applications, deposits, bids, results, contracts."},
		{Name: "audit", Description: "The hash-chained audit log and its verification."},
		{Name: "accounts", Description: "Browser accounts: bidding companies awaiting approval, clerks, planners."},
		{Name: "calendars", Description: "The working-day calendar: holidays and adjusted working days (调休) per year, loaded by the bureau."},
	}
	return cfg
}

// New builds the API on mux and returns it.
func New(mux *http.ServeMux, d Deps) huma.API {
	api := humago.New(mux, Config())
	registerDocs(mux)
	s := &server{store: d.Store, log: d.Logger, zone: d.Zone, life: d.Lifecycle, met: d.Metrics}
	if s.zone == 0 {
		s.zone = DefaultZone
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.xfer = newTransfer(d.Transfer)
	// JSON bodies get their strict reading first (duplicate keys, NUL, UTF-8, in
	// Chinese); checkBody bounds and times every other body.
	api.UseMiddleware(s.authenticate(api), strictJSON(api), checkBody(api))
	s.registerService(api)
	s.registerParcels(api)
	s.registerCompliance(api)
	s.registerOverlaps(api)
	s.registerLayers(api)
	s.registerSales(api)
	s.registerCalendars(api)
	s.registerBids(api)
	s.registerDocuments(api)
	s.registerEvents(api)
	s.registerAccounts(api)
	s.registerMaps(mux, api, d.Maps)
	return api
}

func (s *server) registerService(api huma.API) {
	type healthOut struct {
		Body struct {
			Status string `json:"status" example:"ok"`
		}
	}
	register(api, huma.Operation{
		OperationID: "get-health",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness: the process is up",
		Tags:        []string{"service"},
	}, public, func(ctx context.Context, _ *struct{}) (*healthOut, error) {
		out := &healthOut{}
		out.Body.Status = "ok"
		return out, nil
	})
	register(api, huma.Operation{
		OperationID: "get-ready",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness: the database answers and the process is not draining",
		Tags:        []string{"service"},
		Errors:      []int{http.StatusServiceUnavailable},
	}, public, func(ctx context.Context, _ *struct{}) (*healthOut, error) {
		if s.life.Draining() {
			return nil, huma.Error503ServiceUnavailable("shutting down")
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			s.log.Warn("readiness: database unreachable", "err", err)
			return nil, unavailable()
		}
		out := &healthOut{}
		out.Body.Status = "ready"
		return out, nil
	})
}
