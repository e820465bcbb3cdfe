package openapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
)

// The hash-chained audit log: its verification and a sale's entries as
// each reader may see them.

func (s *server) registerAudit(api huma.API) {
	type auditIn struct {
		SaleID int64 `query:"sale_id" minimum:"0" doc:"Verify one sale only"`
	}
	type auditOut struct {
		Body struct {
			AuditReport
			Latest []Checkpoint `json:"latest_checkpoints" doc:"The newest global checkpoints over the chain heads"`
		}
	}
	register(api, huma.Operation{
		OperationID: "verify-audit",
		Method:      http.MethodGet,
		Path:        "/api/v1/audit",
		Summary:     "Verify the audit log",
		Description: "Re-checks every sale's hash chain and the global checkpoints over the chain heads, and re-derives each closed sale's winner from its bids alone. `ok` is false with the problems listed when anything was altered. Each call verifies what was appended since the last one and re-reads a bounded slice of the older history in rotation (`entries_read`); `minerights audit verify` reads everything.",
		Tags:        []string{"audit"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *auditIn) (*auditOut, error) {
		if in.SaleID != 0 {
			if _, _, err := s.visibleSale(ctx, in.SaleID); err != nil {
				return nil, err
			}
		}
		rep, err := s.store.CheckAudit(ctx, in.SaleID)
		if err != nil {
			return nil, err
		}
		cps, err := s.store.Checkpoints(ctx, 5)
		if err != nil {
			return nil, err
		}
		out := &auditOut{}
		out.Body.AuditReport = auditReportOf(rep)
		out.Body.Latest = each(cps, checkpointOf)
		if cps == nil {
			out.Body.Latest = []Checkpoint{}
		}
		return out, nil
	})

	type entriesIn struct {
		ID    int64 `path:"id" minimum:"1"`
		After int64 `query:"after" minimum:"0"`
		Limit int   `query:"limit" minimum:"1" maximum:"5000" default:"1000"`
	}
	type entryOut struct {
		SaleEvent
		RecordedAt time.Time `json:"recorded_at" doc:"When the entry was written (hashed)"`
		PrevHash   string    `json:"prev_hash"`
		Hash       string    `json:"hash"`
		View       string    `json:"view" enum:"whole,redacted,received,nothing" doc:"How much of the entry the caller sees (docs/transfer.md, who sees what): whole, without identities, only that a sealed bid was received, or nothing but its sequence, kind, time and hashes"`
		Redacted   bool      `json:"redacted" doc:"Something of the entry is withheld: the hash covers the whole entry, which the bureau can read"`
		Salt       string    `json:"salt,omitempty" doc:"The entry's salt in hex, shown with a whole entry only: with it the caller can recompute the hash (registry.EntryHash)"`
	}
	type entriesOut struct {
		Body struct {
			Items []entryOut `json:"items"`
		}
	}
	register(api, huma.Operation{
		OperationID: "list-sale-audit",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/audit",
		Summary:     "A sale's audit chain",
		Description: "Every entry of the sale's hash chain, each as the caller may see it (the same rule as the event stream). An entry seen whole comes with its salt, so its hash can be recomputed; `GET /api/v1/audit` verifies the whole chain for anyone.",
		Tags:        []string{"audit"},
		Errors:      []int{http.StatusNotFound},
	}, public, func(ctx context.Context, in *entriesIn) (*entriesOut, error) {
		sl, v, err := s.visibleSale(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		es, err := s.store.AuditEntries(ctx, in.ID, in.After, in.Limit)
		if err != nil {
			return nil, err
		}
		r, phase := v.reader(), auction.PhaseOf(sl.Machine)
		out := &entriesOut{}
		out.Body.Items = []entryOut{}
		for _, e := range es {
			ev, level, ok := eventOut(e, r, phase)
			if !ok {
				ev = SaleEvent{Seq: e.Seq, Kind: e.Kind, At: e.At}
			}
			o := entryOut{SaleEvent: ev, RecordedAt: e.RecordedAt, PrevHash: fmt.Sprintf("%x", e.PrevHash), Hash: fmt.Sprintf("%x", e.Hash),
				View: level.String(), Redacted: level != auction.Whole}
			if level == auction.Whole && e.Salt != nil {
				o.Salt = fmt.Sprintf("%x", e.Salt)
			}
			out.Body.Items = append(out.Body.Items, o)
		}
		return out, nil
	})
}
