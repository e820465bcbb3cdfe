package pages

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"minerights/registry"
)

// price is an amount as the API writes it.
type price struct {
	Yuan    int64  `json:"yuan"`
	WanYuan string `json:"wan_yuan"`
	Capital string `json:"capital"`
}

// sale is the part of the API's sale the pages show.
type sale struct {
	ID         int64  `json:"id"`
	ParcelID   int64  `json:"parcel_id"`
	ParcelName string `json:"parcel_name"`
	Round      int    `json:"round"`
	Method     string `json:"method"`
	State      string `json:"state"`
	Rules      string `json:"rules"`
	Terms      struct {
		StartingPrice price `json:"starting_price"`
		Increment     price `json:"increment"`
		Deposit       price `json:"deposit"`
	} `json:"terms"`
	Reserve *struct {
		Commitment string `json:"commitment"`
	} `json:"reserve"`
	Windows *struct {
		ApplyStart      time.Time  `json:"apply_start"`
		ApplyEnd        time.Time  `json:"apply_end"`
		DepositDeadline time.Time  `json:"deposit_deadline"`
		BiddingStart    time.Time  `json:"bidding_start"`
		BiddingEnd      *time.Time `json:"bidding_end"`
	} `json:"windows"`
	AnnouncedAt *time.Time `json:"announced_at"`
	TimedStart  *time.Time `json:"timed_bidding_start"`
	Deadline    *time.Time `json:"deadline"`
	ServerTime  time.Time  `json:"server_time"`
	High        *struct {
		Paddle int   `json:"paddle"`
		Amount price `json:"amount"`
	} `json:"high"`
	BidCount   int `json:"bid_count"`
	Applicants int `json:"applicants"`
	You        *struct {
		Paddle      int    `json:"paddle"`
		Qualified   bool   `json:"qualified"`
		Rejection   string `json:"rejection"`
		Deposit     int64  `json:"deposit"`
		DepositPaid bool   `json:"deposit_paid"`
		Bids        int    `json:"bids"`
	} `json:"you"`
	Result *struct {
		Sold         bool   `json:"sold"`
		Reason       string `json:"reason"`
		Price        *price `json:"price"`
		WinnerPaddle int    `json:"winner_paddle"`
	} `json:"result"`
	Suspended string `json:"suspension_reason"`
	EndReason string `json:"end_reason"`
}

// Bidding is true while bids are taken.
func (s sale) Bidding() bool {
	switch s.State {
	case "listing", "timed_bidding", "auction_live", "tender_open":
		return true
	}
	return false
}

// Applying is true while applications are taken.
func (s sale) Applying() bool {
	if s.Windows == nil {
		return false
	}
	now := s.ServerTime
	return !now.Before(s.Windows.ApplyStart) && now.Before(s.Windows.ApplyEnd) && (s.State == "applying" || s.State == "announced")
}

// Closed is true once the sale has a result.
func (s sale) Closed() bool { return s.Result != nil }

// Won is true when the reader is the winner.
func (s sale) Won() bool {
	return s.Result != nil && s.Result.Sold && s.You != nil && s.You.Paddle == s.Result.WinnerPaddle
}

// parcel is the part of the API's parcel the pages show.
type parcel struct {
	ID        int64  `json:"id"`
	GazetteNo *int   `json:"gazette_no"`
	Name      string `json:"name"`
	County    struct {
		Name string `json:"name"`
	} `json:"county"`
	Mineral string `json:"mineral"`
	Status  string `json:"status"`
	Area    struct {
		StatedKm2   string `json:"stated_km2"`
		ComputedKm2 string `json:"computed_km2"`
	} `json:"area"`
	Elevation *struct {
		TopM    float64 `json:"top_m"`
		BottomM float64 `json:"bottom_m"`
	} `json:"elevation"`
	Reserves []struct {
		Commodity string  `json:"commodity"`
		Quantity  string  `json:"quantity"`
		Unit      string  `json:"unit"`
		Category  *string `json:"category"`
		Note      *string `json:"note"`
	} `json:"reserves"`
	MiningMethod     *string `json:"mining_method"`
	ServiceLifeYears *string `json:"service_life_years"`
	StartingPrice    *price  `json:"starting_price"`
	Provenance       struct {
		SourceDocument string `json:"source_document"`
		GeometrySource string `json:"geometry_source"`
	} `json:"provenance"`
}

type notice struct {
	No          int            `json:"no"`
	Kind        string         `json:"kind"`
	PublishedAt time.Time      `json:"published_at"`
	Body        map[string]any `json:"body"`
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// saleView starts a page about the sale in the path: it reads the id, makes
// the view and fetches the sale into s. When it answers false it has already
// written the error page.
func (p *pages) saleView(w http.ResponseWriter, r *http.Request, title string, s *sale) (view, int64, bool) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return view{}, 0, false
	}
	v := p.newView(w, r, title)
	if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d", id), s); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return view{}, 0, false
	}
	return v, id, true
}

type saleRow struct {
	Sale   sale
	Parcel parcel
}

// saleRows reads up to limit sales that me may see, each with its parcel,
// and the parcels; on a refusal it answers the status and its words.
func (p *pages) saleRows(r *http.Request, me *registry.Principal, limit int) ([]saleRow, []parcel, int, string) {
	var list struct {
		Items []sale `json:"items"`
	}
	if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales?limit=%d", limit), &list); st != http.StatusOK {
		return nil, nil, st, msg
	}
	var parcels struct {
		Items []parcel `json:"items"`
	}
	if st, msg := p.get(r, me, "/api/v1/parcels?limit=1000", &parcels); st != http.StatusOK {
		return nil, nil, st, msg
	}
	byID := map[int64]parcel{}
	for _, pc := range parcels.Items {
		byID[pc.ID] = pc
	}
	rows := []saleRow{}
	for _, s := range list.Items {
		rows = append(rows, saleRow{Sale: s, Parcel: byID[s.ParcelID]})
	}
	return rows, parcels.Items, http.StatusOK, ""
}

func (p *pages) salesPage(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, "出让公告")
	rows, _, st, msg := p.saleRows(r, v.Me, 200)
	if st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	if r.URL.Query().Get("welcome") == "1" && v.Me != nil && v.Me.Pending {
		v.Flash = "注册成功。自然资源和规划局审核通过您的账户后，您即可报名参加出让。"
	}
	v.Page = rows
	p.render(w, "sales", http.StatusOK, v)
}

// salePageData is the announcement page.
type salePageData struct {
	Sale    sale
	Parcel  parcel
	Corners []cornerRow
	Zone    string
	Map     *parcelMap
	Notices []notice
	Days    windowDays
}

func (p *pages) salePage(w http.ResponseWriter, r *http.Request) {
	var d salePageData
	v, id, ok := p.saleView(w, r, "出让公告", &d.Sale)
	if !ok {
		return
	}
	if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d", d.Sale.ParcelID), &d.Parcel); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	var ns struct {
		Items []notice `json:"items"`
	}
	if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d/notices", id), &ns); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	d.Notices = ns.Items
	if txt := p.parcelCorners(r, v.Me, d.Sale.ParcelID); txt != nil {
		d.Corners, d.Map = corners(txt)
		d.Zone = attr(txt, "带号")
	}
	if w := d.Sale.Windows; w != nil && p.cal != nil && d.Sale.AnnouncedAt != nil {
		if cal, err := p.cal(r.Context()); err == nil {
			lead, ok1 := workingDays(cal, *d.Sale.AnnouncedAt, w.ApplyStart)
			apply, ok2 := workingDays(cal, w.ApplyStart, w.ApplyEnd)
			d.Days = windowDays{Lead: lead, Apply: apply, Known: ok1 && ok2}
			if w.BiddingEnd != nil {
				var ok3 bool
				d.Days.Bidding, ok3 = workingDays(cal, w.BiddingStart, *w.BiddingEnd)
				d.Days.Known = d.Days.Known && ok3
			}
		}
	}
	v.Title = "出让公告 · " + d.Sale.ParcelName
	switch r.URL.Query().Get("applied") {
	case "1":
		v.Flash = "报名成功。请在保证金截止时间前从本单位账户缴纳竞买保证金。"
	}
	if e := r.URL.Query().Get("error"); e != "" {
		v.Error = or(ruleWords[e], statusWords[http.StatusConflict])
	}
	v.Page = d
	p.render(w, "sale", http.StatusOK, v)
}

// signedInAt starts a page or form of a signed-in user about the sale in
// the path: a path without an id is refused (404), a visitor is sent to
// sign in and come back to next(id). When it answers false it has already
// answered.
func (p *pages) signedInAt(w http.ResponseWriter, r *http.Request, next func(id int64) string) (*registry.Principal, int64, bool) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return nil, 0, false
	}
	me, _ := p.session(r)
	if me == nil {
		http.Redirect(w, r, "/login?next="+next(id), http.StatusSeeOther)
		return nil, 0, false
	}
	return me, id, true
}

func (p *pages) apply(w http.ResponseWriter, r *http.Request) {
	me, id, ok := p.signedInAt(w, r, func(id int64) string { return fmt.Sprintf("/sales/%d", id) })
	if !ok {
		return
	}
	if !p.checkCSRF(r, me) {
		p.forbiddenCSRF(w, r)
		return
	}
	rep := p.call(r, me, http.MethodPost, fmt.Sprintf("/api/v1/sales/%d/applications", id), nil)
	if rep.status != http.StatusCreated {
		p.fail(w, r, rep.status, chinese(rep.status, rep.body.Bytes()))
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/sales/%d?applied=1", id), http.StatusSeeOther)
}

// roomData starts the sale room; the browser does the rest against the API.
type roomData struct {
	Sale  sale
	Boot  map[string]any
	Phone bool
}

func (p *pages) roomPage(w http.ResponseWriter, r *http.Request) {
	var d roomData
	v, id, ok := p.saleView(w, r, "竞价室", &d.Sale)
	if !ok {
		return
	}
	v.Title = "竞价室 · " + d.Sale.ParcelName
	d.Boot = map[string]any{
		"sale": id, "signedIn": v.Me != nil, "bidder": v.Me != nil && v.Me.BidderID != nil,
		"words": ruleWords, "status": statusWords, "states": stateNames, "methods": methodNames, "phases": phaseNames, "fails": failNames,
	}
	v.Page = d
	p.render(w, "room", http.StatusOK, v)
}

type resultData struct {
	Sale   sale
	Result struct {
		County        string                 `json:"county"`
		Mineral       string                 `json:"mineral"`
		MethodName    string                 `json:"method_name"`
		Round         int                    `json:"round"`
		StartingPrice price                  `json:"starting_price"`
		ClosedAt      time.Time              `json:"closed_at"`
		Bids          int                    `json:"bids"`
		Sold          bool                   `json:"sold"`
		Reason        string                 `json:"reason"`
		Winner        *struct{ Name string } `json:"winner"`
		Paddle        int                    `json:"paddle"`
		Price         *price                 `json:"price"`
		Commitment    string                 `json:"reserve_commitment"`
		Reserve       *int64                 `json:"reserve"`
		PublicityEnd  *time.Time             `json:"publicity_end"`
	}
}

func (p *pages) resultPage(w http.ResponseWriter, r *http.Request) {
	var d resultData
	v, id, ok := p.saleView(w, r, "结果公示", &d.Sale)
	if !ok {
		return
	}
	if st, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/sales/%d/result", id), &d.Result); st != http.StatusOK {
		if st == http.StatusConflict || st == http.StatusNotFound {
			msg = "本次出让尚未结束，结果将在结束后公示。"
		}
		p.fail(w, r, st, msg)
		return
	}
	v.Title = "结果公示 · " + d.Sale.ParcelName
	v.Page = d
	p.render(w, "result", http.StatusOK, v)
}

// letterPage shows the confirmation letter (成交确认书), the same printed
// document as the desk's, naming the configured authority, to whom the API
// shows it: the bureau and the winner.
func (p *pages) letterPage(w http.ResponseWriter, r *http.Request) {
	me, id, ok := p.signedInAt(w, r, func(int64) string { return url.QueryEscape(r.URL.RequestURI()) })
	if ok {
		p.printLetter(w, r, me, id, fmt.Sprintf("/sales/%d", id))
	}
}
