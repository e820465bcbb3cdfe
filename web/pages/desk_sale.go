package pages

// One sale on the desk (/desk/sales/{id}): the sale as the bureau sees it,
// its notices, bids and contract, the live monitor and the announcement's
// preview in working days.

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// deskSaleView is the sale as the bureau sees it: identities, the reserve,
// the publicity and the objections.
type deskSaleView struct {
	sale
	Reserve *struct {
		Commitment string `json:"commitment"`
		Revealed   bool   `json:"revealed"`
		Amount     *price `json:"amount"`
	} `json:"reserve"`
	NextChange   *time.Time `json:"next_change"`
	MinNextBid   *int64     `json:"min_next_bid"`
	Participants []struct {
		Paddle int `json:"paddle"`
		Bidder *struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"bidder"`
		Qualified   bool   `json:"qualified"`
		Rejection   string `json:"rejection"`
		Deposit     int64  `json:"deposit"`
		DepositPaid bool   `json:"deposit_paid"`
		Bids        int    `json:"bids"`
	} `json:"participants"`
	Result *struct {
		Sold         bool      `json:"sold"`
		Reason       string    `json:"reason"`
		ClosedAt     time.Time `json:"closed_at"`
		Price        *price    `json:"price"`
		WinnerPaddle int       `json:"winner_paddle"`
		Winner       *struct {
			Name string `json:"name"`
		} `json:"winner"`
	} `json:"result"`
	ConfirmedAt    *time.Time `json:"confirmed_at"`
	PublicityStart *time.Time `json:"publicity_start"`
	PublicityEnd   *time.Time `json:"publicity_end"`
	Objections     []struct {
		No       int       `json:"no"`
		At       time.Time `json:"at"`
		Text     string    `json:"text"`
		Resolved bool      `json:"resolved"`
		Outcome  string    `json:"outcome"`
	} `json:"objections"`
	ContractedAt *time.Time `json:"contracted_at"`
	DefaultedAt  *time.Time `json:"defaulted_at"`
}

type deskBid struct {
	Seq    int64 `json:"seq"`
	Paddle int   `json:"paddle"`
	Bidder *struct {
		Name string `json:"name"`
	} `json:"bidder"`
	Amount price     `json:"amount"`
	Phase  string    `json:"phase"`
	At     time.Time `json:"at"`
}

type deskContract struct {
	SignedAt        time.Time `json:"signed_at"`
	Price           int64     `json:"price"`
	DepositCredited int64     `json:"deposit_credited"`
	Schedule        string    `json:"schedule"`
	Instalments     []struct {
		No     int    `json:"no"`
		Due    string `json:"due"`
		Amount int64  `json:"amount"`
		Paid   int64  `json:"paid"`
		Status string `json:"status"`
	} `json:"instalments"`
	Payments []struct {
		Amount    int64     `json:"amount"`
		PaidAt    time.Time `json:"paid_at"`
		Reference *string   `json:"reference"`
	} `json:"payments"`
	Paid        int64 `json:"paid"`
	Outstanding int64 `json:"outstanding"`
	Overdue     bool  `json:"overdue"`
}

// previewWindow is one window of the announcement preview.
type previewWindow struct {
	Name     string
	From, To time.Time
	Days     int
	Known    bool
}

type deskSaleData struct {
	Sale     deskSaleView
	Notices  []notice
	Bids     []deskBid
	Contract *deskContract
	Preview  []previewWindow
	Form     url.Values
	Live     bool
}

func (p *pages) deskSale(w http.ResponseWriter, r *http.Request) {
	if v, id, ok := p.deskItem(w, r, "出让管理"); ok {
		p.showDeskSale(w, r, v, id, http.StatusOK, nil)
	}
}

// showDeskSale writes sale id's page, its forms filled as they were posted
// (r.PostForm) when it is shown again, with the announcement's preview.
func (p *pages) showDeskSale(w http.ResponseWriter, r *http.Request, v view, id int64, status int, preview []previewWindow) {
	d := deskSaleData{Form: formValues(r), Preview: preview}
	if st, msg := p.readDeskSale(r, v, id, &d); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	v.Title = "出让管理 · " + d.Sale.ParcelName
	v.Flash = deskDone[r.URL.Query().Get("done")]
	// While the sale waits for its clock or takes bids, the monitor reloads.
	d.Live = d.Sale.Result == nil && d.Sale.State != "draft" && d.Sale.State != "suspended" && d.Sale.State != "terminated"
	v.Page = d
	p.render(w, "desk_sale", status, v)
}

// readDeskSale reads sale id from the API as the clerk sees it: the sale,
// once announced its notices and bids, once contracted its contract.
func (p *pages) readDeskSale(r *http.Request, v view, id int64, d *deskSaleData) (int, string) {
	if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d", id), &d.Sale); st != http.StatusOK {
		return st, msg
	}
	if d.Sale.State != "draft" {
		var ns struct {
			Items []notice `json:"items"`
		}
		if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d/notices", id), &ns); st != http.StatusOK {
			return st, msg
		}
		d.Notices = ns.Items
		var bids struct {
			Items []deskBid `json:"items"`
		}
		if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d/bids", id), &bids); st != http.StatusOK {
			return st, msg
		}
		d.Bids = bids.Items
	}
	if d.Sale.ContractedAt != nil {
		var c deskContract
		if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d/contract", id), &c); st != http.StatusOK {
			return st, msg
		}
		d.Contract = &c
	}
	return http.StatusOK, ""
}

// preview counts the announcement's windows in working days on the
// calendar in force, from now; a span into a year not loaded says so.
func (p *pages) preview(r *http.Request, t map[string]time.Time) []previewWindow {
	ws := []previewWindow{
		{Name: "公告期（公告发布至报名开始）", From: time.Now(), To: t["apply_start"]},
		{Name: "报名期", From: t["apply_start"], To: t["apply_end"]},
		{Name: "保证金到账截止（自报名开始）", From: t["apply_start"], To: t["deposit_deadline"]},
	}
	if end, ok := t["bidding_end"]; ok {
		ws = append(ws, previewWindow{Name: "挂牌（投标）期", From: t["bidding_start"], To: end})
	} else {
		ws = append(ws, previewWindow{Name: "报名截止至拍卖开始", From: t["apply_end"], To: t["bidding_start"]})
	}
	if p.cal == nil {
		return ws
	}
	cal, err := p.cal(r.Context())
	if err != nil {
		p.log.Error("calendar", "err", err)
		return ws
	}
	for i := range ws {
		ws[i].Days, ws[i].Known = workingDays(cal, ws[i].From, ws[i].To)
	}
	return ws
}
