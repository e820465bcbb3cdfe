# minerights: `make run` and `make test` are the two commands of the README.
SHELL := /bin/bash
GO ?= go
BIN := bin/minerights
DATA_DIR ?= .data
TEST_TIMEOUT ?= 20m

.PHONY: run test test-citus bench-citus test-faults deps deps-run deps-test web-deps web bench-map bench-compliance bench-compare bench-bids bench-gis-pages bench-room build vet openapi generate db-start db-stop fuzz clean

run: deps-run build
	@set -euo pipefail; \
	url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url=$$(./$(BIN) localdb start --dir $(DATA_DIR)); echo "local cluster in $(DATA_DIR): $$url"; fi; \
	export DATABASE_URL="$$url"; \
	./$(BIN) migrate; \
	./$(BIN) seed; \
	exec ./$(BIN) serve

test: deps-test web-deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# The fault-injection tests alone (they are part of `make test` too): the
# database restarted under load, servers killed mid-bidding, SIGTERM drains.
test-faults: deps-run
	$(GO) test -count=1 -v -run . ./internal/faults

# What running needs (PostgreSQL + PostGIS); the tests' clients (GDAL, QGIS,
# Chromium, Node) come with deps-test.
deps-run:
	@bash scripts/deps.sh run

# The service on a local Citus cluster (a coordinator and two workers, see
# docs/scaling.md): the tests that run against the coordinator. Builds Citus
# from ../shared/vendor when it is not installed.
# Every other sale flow of the store: failed sales and re-offers, plain bids
# and the scheduler, the audit during bids and over old chains, bids judged
# at arrival, a price change racing a sale's creation, the bid rate; over
# HTTP too: failures and re-offers, drafts, identities before the close, the
# calendar, compliance reports, live events. (TestParcelInSaleIsTheSales is
# not among them: it checks 009's trigger, which Citus drops, see
# docs/scaling.md.)
CITUS_SALE_TESTS := TestFailedSales|TestPlainBidsLeaveTheMachine|TestVerifyDuringBids|TestCheckAuditIncremental|TestAuditSaltsHideIdentities|TestBidJudgedAtArrival|TestPriceChangeRacesSaleCreation|TestBidRateFromBidTable
# The rights as volumes (migration 015): stored, judged, read by GDAL.
CITUS_VOLUME_TESTS := TestRightVolumeFollowsFootprintAndRange|TestRightVolumeWithHole|TestLayerRightVolumes|TestRightAboveAnotherRight|TestThreeDimensionalRule|TestGDALReadsRightVolume
CITUS_REGISTRY_TESTS := TestCitus|TestRegionOfAsTheWholeCounties|TestCountyPiecesFollowTheCounties|TestSaleFlowAndAudit|TestSchedulersExactlyOnce|TestConflictFixtures|TestImportAllOrNothing|TestStaleReport|TestOverviewTiles|TestItemsRefusesWhatDoesNotFit|$(CITUS_SALE_TESTS)|$(CITUS_VOLUME_TESTS)
CITUS_API_TESTS := TestDrill|TestTenderThreeBidders|TestConcurrentBidsTwoProcesses|TestRulesAndLayerImportOverHTTP|TestFailuresAndDefaultAPI|TestDraftSaleIsNotFound|TestNoIdentityBeforeClose|TestCalendarLoadUnblocksAnnouncement|TestComplianceReportFlow|TestWhatIfCheck|TestEventsFanOut
CITUS_MAP_TESTS := TestOGCItemsQueries|TestTiles|TestTileCacheInvalidation|TestGDALReadsFeaturesAndTiles|TestCompile
# A migration that changes rows runs on the distributed schema too.
CITUS_REGISTRY_TESTS := $(CITUS_REGISTRY_TESTS)|TestOldSeedSourceMigrated
test-citus: deps
	@bash scripts/citus-build.sh
	MINERIGHTS_TEST_CITUS=1 $(GO) test -count=1 -timeout 30m -run '$(CITUS_REGISTRY_TESTS)' ./registry
	MINERIGHTS_TEST_CITUS=1 $(GO) test -count=1 -timeout 30m -run '$(CITUS_API_TESTS)' ./openapi
	MINERIGHTS_TEST_CITUS=1 $(GO) test -count=1 -timeout 30m -run '$(CITUS_MAP_TESTS)' ./maps

# One PostgreSQL against Citus on this machine: compliance checks with
# generated red lines and the 1,000-sale bid round, with the plans.
bench-citus: build
	@bash scripts/bench-citus.sh

deps-test:
	@bash scripts/deps.sh test

deps: deps-test

# playwright-core and axe-core for the browser tests of the map (uses Debian's chromium).
web-deps:
	@[ -d web/node_modules/playwright-core ] && [ -d web/node_modules/axe-core ] || (echo "installing playwright-core and axe-core from npm into web/node_modules for the browser tests" >&2; cd web && npm ci --no-audit --no-fund)

# Copies MapLibre GL JS and Mapbox GL Draw from npm into web/static (committed, embedded by package web).
web: web-deps
	cd web && npm run build

# Tiles and items against pg_tileserv and pg_featureserv (PG_TILESERV,
# PG_FEATURESERV) on a 200k-polygon layer; see docs/maps.md.
bench-map: build
	@bash scripts/bench-map.sh

# Compliance check latency with 200k and 1M red lines, API against raw SQL.
bench-compliance: build
	@bash scripts/bench-compliance.sh

# bench-map and bench-compliance of two trees, interleaved in one sitting
# (BENCH_BEFORE=../before make bench-compare); see docs/architecture.md.
bench-compare: build
	@bash scripts/bench-compare.sh

# GDAL's export time of a 20k-feature layer at several OGC page sizes; see docs/maps.md.
bench-gis-pages: build
	@bash scripts/bench-gis-pages.sh

# Bids per second and latency, two serve processes on one database; see docs/transfer.md.
bench-bids: build
	@bash scripts/bench-bids.sh

# A hot sale watched by 0, 1,000 and 10,000 live event streams; see docs/transfer.md.
bench-room: build
	@bash scripts/bench-room.sh

build:
	@[ -x $(BIN) ] || echo "building $(BIN): the first build downloads the Go modules and compiles them, a few minutes; later builds take seconds" >&2
	$(GO) build -o $(BIN) ./cmd/minerights

openapi:
	$(GO) run ./cmd/minerights openapi --out openapi/openapi.yaml

generate:
	$(GO) run ./cmd/minerights generate --out data

db-start: build
	@./$(BIN) localdb start --dir $(DATA_DIR)

db-stop: build
	@./$(BIN) localdb stop --dir $(DATA_DIR)

# Runs every fuzzer for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list 'Fuzz.*' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

clean:
	rm -rf bin
