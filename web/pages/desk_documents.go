package pages

// The desk's documents: the check of the audit log (/desk/audit) and the
// confirmation letter (成交确认书) printed on A4, the same document on the
// desk and for the winner.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"minerights/registry"
)

type deskAuditData struct {
	SaleID int64
	Report struct {
		OK    bool `json:"ok"`
		Sales []struct {
			SaleID  int64  `json:"sale_id"`
			Entries int64  `json:"entries"`
			Head    string `json:"head"`
			Outcome string `json:"outcome"`
			Derived string `json:"derived"`
		} `json:"sales"`
		Checkpoints int `json:"checkpoints"`
		Problems    []struct {
			SaleID  int64  `json:"sale_id"`
			Seq     int64  `json:"seq"`
			Problem string `json:"problem"`
		} `json:"problems"`
		Read int64 `json:"entries_read"`
	}
	Entries []struct {
		Seq        int64     `json:"seq"`
		Kind       string    `json:"kind"`
		At         time.Time `json:"at"`
		RecordedAt time.Time `json:"recorded_at"`
		Hash       string    `json:"hash"`
	}
}

// deskAudit checks the audit log of every sale, or of one sale with its
// chain (?sale_id=N).
func (p *pages) deskAudit(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "审计核验")
	if !ok {
		return
	}
	var d deskAuditData
	path := "/api/v1/audit"
	if s := r.URL.Query().Get("sale_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			p.fail(w, r, http.StatusBadRequest, "出让编号无效。")
			return
		}
		d.SaleID = id
		path += "?sale_id=" + s
	}
	if st, msg := p.get(r, v.Me, path, &d.Report); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	if d.SaleID > 0 {
		var es struct {
			Items json.RawMessage `json:"items"`
		}
		if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d/audit?limit=5000", d.SaleID), &es); st != http.StatusOK {
			p.fail(w, r, st, msg)
			return
		}
		_ = json.Unmarshal(es.Items, &d.Entries)
	}
	v.Page = d
	p.render(w, "desk_audit", http.StatusOK, v)
}

// deskLetter is the confirmation letter (成交确认书) for print on A4, as the
// API states it, naming the issuing authority, with its date and room for
// both seals.
func (p *pages) deskLetter(w http.ResponseWriter, r *http.Request) {
	if v, id, ok := p.deskItem(w, r, "成交确认书"); ok {
		p.printLetter(w, r, v.Me, id, fmt.Sprintf("/desk/sales/%d", id))
	}
}

// letter is the confirmation letter as the API states it.
type letter struct {
	Number            string                `json:"number"`
	SaleID            int64                 `json:"sale_id"`
	ParcelName        string                `json:"parcel_name"`
	County            string                `json:"county"`
	Mineral           string                `json:"mineral"`
	AreaKm2           string                `json:"area_km2"`
	MethodName        string                `json:"method_name"`
	Winner            struct{ Name string } `json:"winner"`
	CreditCode        string                `json:"credit_code"`
	Paddle            int                   `json:"paddle"`
	Price             price                 `json:"price"`
	StartingPrice     price                 `json:"starting_price"`
	Deposit           price                 `json:"deposit"`
	ClosedAt          time.Time             `json:"closed_at"`
	IssuedAt          time.Time             `json:"issued_at"`
	ReserveCommitment string                `json:"reserve_commitment"`
}

// printLetter renders the confirmation letter for whoever the API shows it
// to (the bureau, the winner), the same document on the desk and for the
// bidder, naming the configured authority; back is where its link returns.
func (p *pages) printLetter(w http.ResponseWriter, r *http.Request, me *registry.Principal, id int64, back string) {
	var l letter
	if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales/%d/confirmation", id), &l); st != http.StatusOK {
		switch st {
		case http.StatusNotFound, http.StatusConflict:
			msg = "成交确认书尚未签发。"
		case http.StatusForbidden:
			msg = "成交确认书仅向竞得人和" + p.authority + "提供。"
		}
		p.fail(w, r, st, msg)
		return
	}
	// A printed document runs no script.
	p.write(w, "desk_letter", http.StatusOK, map[string]any{"L": l, "Authority": p.authority, "Back": back},
		"default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'")
}
