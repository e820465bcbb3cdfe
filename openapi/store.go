package openapi

import (
	"context"

	"minerights/auction"
	"minerights/compliance"
	"minerights/maps"
	"minerights/registry"
)

// The store operations the API calls, grouped as its operations are. The
// API depends on these interfaces only; *registry.Store satisfies them all
// (checked in store_test.go), and a test of one group may hand in a fake.

// Parcels are the parcel registry's operations.
type Parcels interface {
	CreateParcel(ctx context.Context, in registry.ParcelInput) (registry.Parcel, error)
	GetParcel(ctx context.Context, id int64) (registry.Parcel, error)
	ListParcels(ctx context.Context, f registry.ParcelFilter) ([]registry.Parcel, int, error)
	UpdateParcel(ctx context.Context, id int64, pt registry.ParcelPatch) (registry.Parcel, error)
	// CorrectParcel corrects an announced sale's parcel by a supplementary notice.
	CorrectParcel(ctx context.Context, saleID int64, text string, pt registry.ParcelPatch, actor string) (registry.Notice, registry.Parcel, error)
}

// Compliance are the spatial checks: reports, what-if checks, the rule
// table and the verdicts of the map.
type Compliance interface {
	RunCompliance(ctx context.Context, parcelID int64) (compliance.Report, error)
	LatestReport(ctx context.Context, parcelID int64) (compliance.Report, error)
	CheckGeometry(ctx context.Context, subj compliance.Subject) (compliance.Report, error)
	Rules(ctx context.Context) ([]compliance.Rule, compliance.Settings, error)
	PutRule(ctx context.Context, r compliance.Rule) (compliance.Rule, error)
	PutSettings(ctx context.Context, st compliance.Settings) (compliance.Settings, error)
	LatestVerdicts(ctx context.Context, f registry.VerdictFilter) ([]registry.ParcelVerdict, error)
	// OverlapShapes are the overlaps of the latest report, drawn.
	OverlapShapes(ctx context.Context, parcelID int64) ([]registry.OverlapShape, error)
}

// Layers are the check layers (red lines, reserves, …) and their imports.
type Layers interface {
	Layers(ctx context.Context, all bool) ([]registry.Layer, error)
	CurrentLayer(ctx context.Context, name string) (registry.Layer, error)
	ImportLayer(ctx context.Context, in registry.LayerImport) (registry.Layer, error)
}

// Sales are the transfer's operations from the draft to the contract.
type Sales interface {
	CreateBidderWithToken(ctx context.Context, in registry.BidderInput) (registry.Bidder, string, error)
	CreateSale(ctx context.Context, in registry.SaleInput, rules auction.Rules, actor string) (registry.Sale, error)
	GetSale(ctx context.Context, id int64) (registry.Sale, error)
	ListSales(ctx context.Context, f registry.SaleFilter) ([]registry.Sale, int, error)
	Announce(ctx context.Context, id int64, cal auction.Calendar, w auction.Windows, actor string) (registry.Sale, error)
	Notices(ctx context.Context, id int64) ([]registry.Notice, error)
	AddNotice(ctx context.Context, id int64, text string, actor string) (registry.Notice, error)
	Apply(ctx context.Context, id, bidderID int64, actor string) (registry.Sale, error)
	RecordDeposit(ctx context.Context, id, bidderID, amount int64, actor string) (registry.Sale, error)
	Deposits(ctx context.Context, id, bidderID int64) ([]registry.DepositEntry, error)
	Qualify(ctx context.Context, id, bidderID int64, approve bool, reason, actor string) (registry.Sale, error)
	Suspend(ctx context.Context, id int64, reason, actor string) (registry.Sale, error)
	Resume(ctx context.Context, id int64, reason, actor string) (registry.Sale, error)
	Terminate(ctx context.Context, id int64, reason, actor string) (registry.Sale, error)
	Default(ctx context.Context, id int64, reason, actor string) (registry.Sale, error)
	IssueConfirmation(ctx context.Context, id int64, cal auction.Calendar, actor string) (registry.Sale, error)
	StartPublicity(ctx context.Context, id int64, cal auction.Calendar, actor string) (registry.Sale, error)
	FileObjection(ctx context.Context, id int64, by, text, actor string) (registry.Sale, error)
	ResolveObjection(ctx context.Context, id int64, seq int, outcome, actor string) (registry.Sale, error)
	SignContract(ctx context.Context, id int64, in registry.ContractInput, actor string) (registry.Contract, error)
	GetContract(ctx context.Context, id int64) (registry.Contract, error)
	RecordPayment(ctx context.Context, id, amount int64, reference, actor string) (registry.Contract, error)
	Reoffer(ctx context.Context, id int64, in registry.SaleInput, actor string) (registry.Sale, error)
}

// Bids are the bids of a sale.
type Bids interface {
	PlaceBid(ctx context.Context, r registry.BidRequest) (rc registry.Receipt, replayed bool, err error)
	Bids(ctx context.Context, saleID int64) ([]registry.Receipt, error)
}

// Documents are what the printed documents of a sale are made from.
type Documents interface {
	GetSale(ctx context.Context, id int64) (registry.Sale, error)
	GetParcel(ctx context.Context, id int64) (registry.Parcel, error)
}

// Audit is the hash-chained audit log.
type Audit interface {
	AuditEntries(ctx context.Context, saleID, after int64, limit int) ([]registry.AuditEntry, error)
	CheckAudit(ctx context.Context, saleID int64) (registry.AuditReport, error)
	Checkpoints(ctx context.Context, limit int) ([]registry.Checkpoint, error)
}

// Accounts are the browser accounts the bureau manages.
type Accounts interface {
	ListAccounts(ctx context.Context, f registry.AccountFilter) ([]registry.Account, int, error)
	CreateUser(ctx context.Context, in registry.UserInput, actor string) (registry.Account, error)
	ApproveBidder(ctx context.Context, accountID int64, actor string) (registry.Account, error)
	DisableAccount(ctx context.Context, accountID int64) (registry.Account, error)
}

// Calendars are the working-day calendars in force.
type Calendars interface {
	Calendar(ctx context.Context, files registry.CalendarFiles) (auction.Calendar, error)
	CalendarYears(ctx context.Context, files registry.CalendarFiles) ([]registry.CalendarYear, error)
	CalendarVersions(ctx context.Context, files registry.CalendarFiles, year int) ([]registry.CalendarVersion, error)
	PutCalendar(ctx context.Context, files registry.CalendarFiles, year int, doc []byte, by string) (registry.CalendarPut, error)
}

// Tokens turn a bearer token or a session cookie into the caller.
type Tokens interface {
	Authenticate(ctx context.Context, token string) (registry.Principal, error)
	SessionPrincipal(ctx context.Context, token string) (registry.Principal, error)
}

// Health is the readiness probe's question to the database.
type Health interface {
	Ping(ctx context.Context) error
}

// Store is every operation the API and the map services call.
type Store interface {
	Parcels
	Compliance
	Layers
	Sales
	Bids
	Documents
	Audit
	Accounts
	Calendars
	Tokens
	Health
	// maps.Store is what the map services (OGC API - Features, tiles, the
	// map's verdicts) read, handed to them by New.
	maps.Store
}
