package openapi

import (
	"encoding/json"
	"time"

	"minerights/registry"
)

// The store's records on the wire: layers, notices, bidders, deposits,
// contracts, a parcel's reserves and capacity, and the audit's report and
// checkpoints, made from the store's types by the converters below (see
// wire.go). Their JSON is the store's, field for field
// (TestWireTypesSayWhatTheStoreSays).

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
	Unchanged    bool           `json:"unchanged,omitempty"`
}

func layerOf(l registry.Layer) Layer {
	return Layer{ID: l.ID, Name: l.Name, Kind: l.Kind, Version: l.Version, Title: l.Title, Source: l.Source, Provenance: l.Provenance,
		FeatureCount: l.FeatureCount, CreatedAt: l.CreatedAt, Current: l.Current, Unchanged: l.Unchanged}
}

// Notice is one published notice of a sale.
type Notice struct {
	No          int             `json:"no"`
	Kind        string          `json:"kind"`
	PublishedAt time.Time       `json:"published_at"`
	Body        json.RawMessage `json:"body"`
}

func noticeOf(n registry.Notice) Notice {
	return Notice{No: n.No, Kind: n.Kind, PublishedAt: n.PublishedAt, Body: n.Body}
}

// Bidder is a company registered to bid.
type Bidder struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CreditCode *string   `json:"credit_code"`
	Contact    *string   `json:"contact"`
	CreatedAt  time.Time `json:"created_at"`
}

func bidderRecordOf(b registry.Bidder) Bidder {
	return Bidder{ID: b.ID, Name: b.Name, CreditCode: b.CreditCode, Contact: b.Contact, CreatedAt: b.CreatedAt}
}

// Reserve is one commodity's reserve of a parcel.
type Reserve struct {
	Commodity string  `json:"commodity"`
	Quantity  string  `json:"quantity"`
	Unit      string  `json:"unit"`
	Category  *string `json:"category,omitempty"`
	Note      *string `json:"note,omitempty"`
}

func reserveOf(r registry.Reserve) Reserve {
	return Reserve{Commodity: r.Commodity, Quantity: r.Quantity, Unit: r.Unit, Category: r.Category, Note: r.Note}
}

// Capacity is one commodity's production capacity of a parcel.
type Capacity struct {
	Commodity string `json:"commodity"`
	Quantity  string `json:"quantity"`
	Unit      string `json:"unit"`
}

func capacityOf(c registry.Capacity) Capacity {
	return Capacity{Commodity: c.Commodity, Quantity: c.Quantity, Unit: c.Unit}
}

// DepositEntry is one movement of a bidder's deposit.
type DepositEntry struct {
	BidderID int64     `json:"bidder_id"`
	Kind     string    `json:"kind"`
	Amount   int64     `json:"amount"`
	At       time.Time `json:"at"`
}

func depositEntryOf(e registry.DepositEntry) DepositEntry {
	return DepositEntry{BidderID: e.BidderID, Kind: e.Kind, Amount: e.Amount, At: e.At}
}

// Contract is a sold sale's transfer contract with its instalments and
// payments.
type Contract struct {
	SaleID          int64        `json:"sale_id"`
	SignedAt        time.Time    `json:"signed_at"`
	Price           int64        `json:"price"`
	DepositCredited int64        `json:"deposit_credited"`
	Schedule        string       `json:"schedule"`
	Instalments     []Instalment `json:"instalments"`
	Payments        []Payment    `json:"payments"`
	Paid            int64        `json:"paid"`
	Outstanding     int64        `json:"outstanding"`
	Overdue         bool         `json:"overdue"`
}

// Instalment is one instalment of a contract's price; status is paid, due
// or overdue.
type Instalment struct {
	No     int    `json:"no"`
	Due    string `json:"due"`
	Amount int64  `json:"amount"`
	Paid   int64  `json:"paid"`
	Status string `json:"status"`
}

// Payment is one payment recorded against a contract.
type Payment struct {
	Amount    int64     `json:"amount"`
	PaidAt    time.Time `json:"paid_at"`
	Reference *string   `json:"reference"`
}

func contractOf(c registry.Contract) Contract {
	return Contract{SaleID: c.SaleID, SignedAt: c.SignedAt, Price: c.Price, DepositCredited: c.DepositCredited, Schedule: c.Schedule,
		Instalments: each(c.Instalments, func(i registry.Instalment) Instalment {
			return Instalment{No: i.No, Due: i.Due, Amount: i.Amount, Paid: i.Paid, Status: i.Status}
		}),
		Payments: each(c.Payments, func(p registry.Payment) Payment {
			return Payment{Amount: p.Amount, PaidAt: p.PaidAt, Reference: p.Reference}
		}),
		Paid: c.Paid, Outstanding: c.Outstanding, Overdue: c.Overdue}
}

// AuditReport is the outcome of a verification of the audit log.
type AuditReport struct {
	OK          bool           `json:"ok"`
	Sales       []SaleAudit    `json:"sales"`
	Checkpoints int            `json:"checkpoints"`
	Problems    []AuditProblem `json:"problems"`
	Read        int64          `json:"entries_read"`
}

// SaleAudit is the verification of one sale's chain: what the log says
// happened at the close (outcome) and what its bids re-derive.
type SaleAudit struct {
	SaleID       int64  `json:"sale_id"`
	Entries      int64  `json:"entries"`
	Head         string `json:"head"`
	Outcome      string `json:"outcome"`
	Derived      string `json:"derived"`
	WinnerPaddle int    `json:"winner_paddle,omitempty"`
	Price        int64  `json:"price,omitempty"`
	OK           bool   `json:"ok"`
}

// AuditProblem is one thing a verification found altered or missing.
type AuditProblem struct {
	SaleID     int64  `json:"sale_id,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	Checkpoint int64  `json:"checkpoint,omitempty"`
	Problem    string `json:"problem"`
}

func auditReportOf(r registry.AuditReport) AuditReport {
	return AuditReport{OK: r.OK, Checkpoints: r.Checkpoints, Read: r.Read,
		Sales: each(r.Sales, func(s registry.SaleAudit) SaleAudit {
			return SaleAudit{SaleID: s.SaleID, Entries: s.Entries, Head: s.Head, Outcome: s.Outcome, Derived: s.Derived,
				WinnerPaddle: s.WinnerPaddle, Price: s.Price, OK: s.OK}
		}),
		Problems: each(r.Problems, func(p registry.AuditProblem) AuditProblem {
			return AuditProblem{SaleID: p.SaleID, Seq: p.Seq, Checkpoint: p.Checkpoint, Problem: p.Problem}
		})}
}

// Checkpoint is a global checkpoint over the sales' chain heads.
type Checkpoint struct {
	ID       int64       `json:"id"`
	At       time.Time   `json:"at"`
	Heads    []ChainHead `json:"heads"`
	PrevHash []byte      `json:"prev_hash"`
	Hash     []byte      `json:"hash"`
}

// ChainHead is the head of one sale's chain in a checkpoint.
type ChainHead struct {
	SaleID int64  `json:"sale_id"`
	Seq    int64  `json:"seq"`
	Hash   string `json:"hash"`
}

func checkpointOf(c registry.Checkpoint) Checkpoint {
	return Checkpoint{ID: c.ID, At: c.At, PrevHash: c.PrevHash, Hash: c.Hash,
		Heads: each(c.Heads, func(h registry.ChainHead) ChainHead { return ChainHead{SaleID: h.SaleID, Seq: h.Seq, Hash: h.Hash} })}
}
