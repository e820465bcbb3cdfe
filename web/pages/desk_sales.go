package pages

// The bureau's desk for sales (/desk/sales), accounts (/desk/accounts) and
// the audit (/desk/audit): server-rendered pages that read and change state
// only through the HTTP API called in process as the signed-in clerk, so
// every rule stays the API's and every refusal is the API's, said in Chinese.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"minerights/internal/money"
	"minerights/registry"
)

// deskRoutes registers the sales desk's pages.
func (p *pages) deskRoutes(mux *http.ServeMux, funcs template.FuncMap) {
	for _, name := range []string{"desk_sales", "desk_sale", "desk_accounts", "desk_audit"} {
		p.tmpl[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/"+name+".html"))
	}
	mux.HandleFunc("GET /desk/sales", p.deskSales)
	mux.HandleFunc("POST /desk/sales", p.deskCreateSale)
	p.tmpl["desk_letter"] = template.Must(template.New("desk_letter.html").Funcs(funcs).ParseFS(templates, "templates/desk_letter.html"))
	mux.HandleFunc("GET /desk/sales/{id}", p.deskSale)
	mux.HandleFunc("GET /desk/sales/{id}/letter", p.deskLetter)
	mux.HandleFunc("POST /desk/sales/{id}/{action}", p.deskSaleAction)
	mux.HandleFunc("GET /desk/accounts", p.deskAccounts)
	mux.HandleFunc("POST /desk/accounts", p.deskAccountCreate)
	mux.HandleFunc("POST /desk/accounts/{id}/{action}", p.deskAccountAction)
	mux.HandleFunc("GET /desk/audit", p.deskAudit)
}

// clerk is the signed-in bureau clerk, or nil after answering: a visitor is
// sent to sign in, anyone else is refused.
func (p *pages) clerk(w http.ResponseWriter, r *http.Request) *registry.Principal {
	me, _ := p.session(r)
	if me == nil {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		} else {
			p.fail(w, r, http.StatusUnauthorized, ruleWords["session-ended"])
		}
		return nil
	}
	if me.Role != registry.RoleBureau {
		p.fail(w, r, http.StatusForbidden, "此页面仅供自然资源和规划局工作人员使用。")
		return nil
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if !p.checkCSRF(r, me) {
			p.forbiddenCSRF(w, r)
			return nil
		}
	}
	return me
}

// deskDone are the messages shown after a desk action succeeded.
var deskDone = map[string]string{
	"created": "出让草稿已创建。", "announce": "出让公告已发布。", "notice": "补充公告已发布。",
	"deposit": "保证金到账已登记。", "qualify": "资格审核结果已登记。", "confirmation": "成交确认书已签发。",
	"publicity": "结果公示已开始。", "resolve": "异议答复已登记。", "contract": "出让合同及付款计划已登记。",
	"payment": "出让收益缴款已登记。", "default": "竞得人违约已登记。", "reoffer": "再次出让的草稿已创建。",
	"suspend": "出让已暂停。", "resume": "出让已恢复。", "terminate": "出让已终止。",
	"approve": "账户已审核通过。", "disable": "账户已停用。", "account": "账户已创建。",
}

// sideWords are what the desk says when a side exit (暂停, 恢复, 终止) or
// a default is asked for without the reason the rules publish with it, or
// without the clerk's confirmation: these change a sale for everyone and
// cannot be undone by the same form.
var sideWords = map[string]struct{ noReason, noConfirm string }{
	"suspend":   {"暂停出让须填写暂停原因（将随暂停公告公开）。", "请勾选“确认暂停”后再提交：暂停后竞买人不能报价，各期限在恢复时顺延。"},
	"resume":    {"恢复出让须填写恢复说明（将随恢复公告公开）。", "请勾选“确认恢复”后再提交：未届满的期限按暂停时长顺延。"},
	"terminate": {"终止出让须填写终止原因（将随终止公告公开）。", "请勾选“确认终止”后再提交：终止后不能恢复，全部保证金予以退还。"},
	"default":   {"登记违约须填写竞得人违约的事实。", "请勾选“确认违约”后再提交：保证金不予退还，该竞买人不得参加本宗矿业权的再次出让。"},
}

// deskSaleRow is a row of the desk's list of sales.
type deskSaleRow struct {
	Sale   sale
	Parcel parcel
}

type deskSalesData struct {
	Rows    []deskSaleRow
	Parcels []parcel
	Form    url.Values
}

func (p *pages) deskSales(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	p.showDeskSales(w, r, me, http.StatusOK, "", nil)
}

func (p *pages) showDeskSales(w http.ResponseWriter, r *http.Request, me *registry.Principal, status int, errMsg string, form url.Values) {
	v := p.newView(w, r, "出让管理")
	v.Error, v.Flash = errMsg, deskDone[r.URL.Query().Get("done")]
	var list struct {
		Items []sale `json:"items"`
	}
	if st, msg := p.get(r, me, "/api/v1/sales?limit=1000", &list); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	var parcels struct {
		Items []parcel `json:"items"`
	}
	if st, msg := p.get(r, me, "/api/v1/parcels?limit=1000", &parcels); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	byID := map[int64]parcel{}
	d := deskSalesData{Form: form}
	for _, pc := range parcels.Items {
		byID[pc.ID] = pc
		if pc.StartingPrice != nil && pc.Status == "registered" {
			d.Parcels = append(d.Parcels, pc)
		}
	}
	for _, s := range list.Items {
		d.Rows = append(d.Rows, deskSaleRow{Sale: s, Parcel: byID[s.ParcelID]})
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	v.Page = d
	p.render(w, "desk_sales", status, v)
}

// wanField reads a form's amount in 万元 as 元; empty is 0 when optional.
func wanField(r *http.Request, name, label string, optional bool) (int64, string) {
	s := strings.TrimSpace(r.PostFormValue(name))
	if s == "" && optional {
		return 0, ""
	}
	yuan, err := money.ParseWan(s)
	if err != nil || yuan <= 0 {
		return 0, label + "：请输入以万元为单位的正数金额，例如 10 或 0.5（最多四位小数，即精确到元）。"
	}
	return yuan, ""
}

func (p *pages) deskCreateSale(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	_ = r.ParseForm()
	parcelID, err := strconv.ParseInt(r.PostFormValue("parcel_id"), 10, 64)
	if err != nil || parcelID <= 0 {
		p.showDeskSales(w, r, me, http.StatusUnprocessableEntity, "请选择要出让的矿业权。", r.PostForm)
		return
	}
	body := map[string]any{"parcel_id": parcelID, "method": r.PostFormValue("method")}
	for _, f := range []struct{ name, label string }{{"increment", "加价幅度"}, {"deposit", "竞买保证金"}, {"reserve", "底价"}} {
		yuan, msg := wanField(r, f.name, f.label, f.name == "reserve")
		if msg != "" {
			p.showDeskSales(w, r, me, http.StatusUnprocessableEntity, msg, r.PostForm)
			return
		}
		if yuan > 0 {
			body[f.name] = yuan
		}
	}
	rep := p.call(r, me, http.MethodPost, "/api/v1/sales", body)
	if rep.status != http.StatusCreated {
		p.showDeskSales(w, r, me, rep.status, chinese(rep.status, rep.body.Bytes()), r.PostForm)
		return
	}
	var s sale
	_ = json.Unmarshal(rep.body.Bytes(), &s)
	http.Redirect(w, r, fmt.Sprintf("/desk/sales/%d?done=created", s.ID), http.StatusSeeOther)
}

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
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	p.showDeskSale(w, r, me, id, http.StatusOK, "", nil, nil)
}

func (p *pages) showDeskSale(w http.ResponseWriter, r *http.Request, me *registry.Principal, id int64, status int, errMsg string,
	form url.Values, preview []previewWindow) {
	d := deskSaleData{Form: form, Preview: preview}
	if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales/%d", id), &d.Sale); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	v := p.newView(w, r, "出让管理 · "+d.Sale.ParcelName)
	v.Error, v.Flash = errMsg, deskDone[r.URL.Query().Get("done")]
	if d.Sale.State != "draft" {
		var ns struct {
			Items []notice `json:"items"`
		}
		if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales/%d/notices", id), &ns); st != http.StatusOK {
			p.fail(w, r, st, msg)
			return
		}
		d.Notices = ns.Items
		var bids struct {
			Items []deskBid `json:"items"`
		}
		if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales/%d/bids", id), &bids); st != http.StatusOK {
			p.fail(w, r, st, msg)
			return
		}
		d.Bids = bids.Items
	}
	if d.Sale.ContractedAt != nil {
		var c deskContract
		if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales/%d/contract", id), &c); st != http.StatusOK {
			p.fail(w, r, st, msg)
			return
		}
		d.Contract = &c
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	// While the sale waits for its clock or takes bids, the monitor reloads.
	d.Live = d.Sale.Result == nil && d.Sale.State != "draft" && d.Sale.State != "suspended" && d.Sale.State != "terminated"
	v.Page = d
	p.render(w, "desk_sale", status, v)
}

// formTime reads a datetime-local field as Beijing time.
func formTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), shanghai); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (p *pages) deskSaleAction(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	_ = r.ParseForm()
	action := r.PathValue("action")
	bad := func(msg string) {
		p.showDeskSale(w, r, me, id, http.StatusUnprocessableEntity, msg, r.PostForm, nil)
	}
	bidder := func() (int64, bool) {
		b, err := strconv.ParseInt(r.PostFormValue("bidder_id"), 10, 64)
		if err != nil || b <= 0 {
			bad("请选择竞买人。")
			return 0, false
		}
		return b, true
	}
	var path string
	var body any
	switch action {
	case "announce":
		names := []struct{ field, label string }{{"apply_start", "报名开始时间"}, {"apply_end", "报名截止时间"},
			{"deposit_deadline", "保证金到账截止时间"}, {"bidding_start", "竞价开始时间"}, {"bidding_end", "挂牌（投标）截止时间"}}
		times := map[string]time.Time{}
		for _, n := range names {
			s := r.PostFormValue(n.field)
			if s == "" && n.field == "bidding_end" {
				continue
			}
			t, ok := formTime(s)
			if !ok {
				bad(n.label + "：请按“年-月-日 时:分”填写（北京时间）。")
				return
			}
			times[n.field] = t
		}
		if r.PostFormValue("do") == "preview" {
			p.showDeskSale(w, r, me, id, http.StatusOK, "", r.PostForm, p.preview(r, times))
			return
		}
		path, body = "announcement", times
	case "notice":
		path, body = "notices", map[string]string{"text": r.PostFormValue("text")}
	case "deposit":
		b, ok := bidder()
		if !ok {
			return
		}
		yuan, msg := wanField(r, "amount", "到账金额", false)
		if msg != "" {
			bad(msg)
			return
		}
		path, body = "deposits", map[string]any{"bidder_id": b, "amount": yuan}
	case "qualify":
		b, ok := bidder()
		if !ok {
			return
		}
		approve := r.PostFormValue("approve") == "1"
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if !approve && reason == "" {
			bad("不予通过资格审核时，须填写理由（仅自然资源和规划局及该竞买人可见）。")
			return
		}
		path, body = "qualifications", map[string]any{"bidder_id": b, "approve": approve, "reason": reason}
	case "confirmation", "publicity":
		path = action
	case "resolve":
		no, err := strconv.Atoi(r.PostFormValue("no"))
		if err != nil || no <= 0 {
			bad("请选择要答复的异议。")
			return
		}
		path, body = fmt.Sprintf("objections/%d/resolution", no), map[string]string{"outcome": r.PostFormValue("outcome")}
	case "contract":
		var ins []map[string]any
		for i, line := range strings.Split(strings.TrimSpace(r.PostFormValue("instalments")), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			yuan, err := money.ParseWan(strings.TrimSuffix(f[len(f)-1], "万元"))
			if len(f) != 2 || err != nil || yuan <= 0 {
				bad(fmt.Sprintf("付款计划第 %d 行：请按“到期日 金额（万元）”填写，例如 2027-03-31 20000。", i+1))
				return
			}
			ins = append(ins, map[string]any{"due": f[0], "amount": yuan})
		}
		if len(ins) == 0 {
			bad("请填写付款计划（每行一期：到期日 金额（万元））。")
			return
		}
		schedule := "lump_sum"
		if len(ins) > 1 {
			schedule = "instalments"
		}
		path, body = "contract", map[string]any{"schedule": schedule, "instalments": ins, "reference": r.PostFormValue("reference")}
	case "payment":
		yuan, msg := wanField(r, "amount", "缴款金额", false)
		if msg != "" {
			bad(msg)
			return
		}
		path, body = "payments", map[string]any{"amount": yuan, "reference": r.PostFormValue("reference")}
	case "default", "suspend", "resume", "terminate":
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			bad(sideWords[action].noReason)
			return
		}
		if r.PostFormValue("confirm") != "1" {
			bad(sideWords[action].noConfirm)
			return
		}
		path = map[string]string{"default": "default", "suspend": "suspension", "resume": "resumption", "terminate": "termination"}[action]
		body = map[string]string{"reason": reason}
	case "reoffer":
		in := map[string]any{"method": r.PostFormValue("method")}
		for _, f := range []struct{ name, label string }{{"increment", "加价幅度"}, {"deposit", "竞买保证金"}, {"reserve", "底价"}} {
			yuan, msg := wanField(r, f.name, f.label, f.name == "reserve")
			if msg != "" {
				bad(msg)
				return
			}
			if yuan > 0 {
				in[f.name] = yuan
			}
		}
		path, body = "reoffer", in
	default:
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	rep := p.call(r, me, http.MethodPost, fmt.Sprintf("/api/v1/sales/%d/%s", id, path), body)
	if rep.status >= 300 {
		if rep.status >= 500 {
			p.log.Error("desk action", "action", action, "status", rep.status, "body", rep.body.String())
		}
		p.showDeskSale(w, r, me, id, rep.status, chinese(rep.status, rep.body.Bytes()), r.PostForm, nil)
		return
	}
	next := id
	if action == "reoffer" {
		var s sale
		if json.Unmarshal(rep.body.Bytes(), &s) == nil && s.ID > 0 {
			next = s.ID
		}
	}
	http.Redirect(w, r, fmt.Sprintf("/desk/sales/%d?done=%s", next, action), http.StatusSeeOther)
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

type deskAccountsData struct {
	Pending, All []registry.Account
	Form         url.Values
}

func (p *pages) deskAccounts(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	p.showDeskAccounts(w, r, me, http.StatusOK, "", nil)
}

func (p *pages) showDeskAccounts(w http.ResponseWriter, r *http.Request, me *registry.Principal, status int, errMsg string, form url.Values) {
	v := p.newView(w, r, "账户管理")
	v.Error, v.Flash = errMsg, deskDone[r.URL.Query().Get("done")]
	var pending, all struct {
		Items []registry.Account `json:"items"`
	}
	if st, msg := p.get(r, me, "/api/v1/accounts?pending=true&limit=1000", &pending); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	if st, msg := p.get(r, me, "/api/v1/accounts?limit=1000", &all); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	if form == nil {
		form = url.Values{}
	}
	v.Page = deskAccountsData{Pending: pending.Items, All: all.Items, Form: form}
	p.render(w, "desk_accounts", status, v)
}

func (p *pages) deskAccountCreate(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	_ = r.ParseForm()
	body := map[string]string{"role": r.PostFormValue("role"), "login": strings.TrimSpace(r.PostFormValue("login")),
		"name": strings.TrimSpace(r.PostFormValue("name")), "phone": strings.TrimSpace(r.PostFormValue("phone")), "password": r.PostFormValue("password")}
	rep := p.call(r, me, http.MethodPost, "/api/v1/accounts", body)
	if rep.status != http.StatusCreated {
		form := r.PostForm
		form.Del("password")
		p.showDeskAccounts(w, r, me, rep.status, chinese(rep.status, rep.body.Bytes()), form)
		return
	}
	http.Redirect(w, r, "/desk/accounts?done=account", http.StatusSeeOther)
}

func (p *pages) deskAccountAction(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	id, ok := pathID(r)
	path := map[string]string{"approve": "approval", "disable": "disablement"}[r.PathValue("action")]
	if !ok || path == "" {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	rep := p.call(r, me, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/%s", id, path), nil)
	if rep.status != http.StatusOK {
		p.showDeskAccounts(w, r, me, rep.status, chinese(rep.status, rep.body.Bytes()), nil)
		return
	}
	http.Redirect(w, r, "/desk/accounts?done="+r.PathValue("action"), http.StatusSeeOther)
}

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
	me := p.clerk(w, r)
	if me == nil {
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
	if st, msg := p.get(r, me, path, &d.Report); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	if d.SaleID > 0 {
		var es struct {
			Items json.RawMessage `json:"items"`
		}
		if st, msg := p.get(r, me, fmt.Sprintf("/api/v1/sales/%d/audit?limit=5000", d.SaleID), &es); st != http.StatusOK {
			p.fail(w, r, st, msg)
			return
		}
		_ = json.Unmarshal(es.Items, &d.Entries)
	}
	v := p.newView(w, r, "审计核验")
	v.Page = d
	p.render(w, "desk_audit", http.StatusOK, v)
}

// deskLetter is the confirmation letter (成交确认书) for print on A4, as the
// API states it, naming the issuing authority, with its date and room for
// both seals.
func (p *pages) deskLetter(w http.ResponseWriter, r *http.Request) {
	me := p.clerk(w, r)
	if me == nil {
		return
	}
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	p.printLetter(w, r, me, id, fmt.Sprintf("/desk/sales/%d", id))
}

// printLetter renders the confirmation letter for whoever the API shows it
// to (the bureau, the winner), the same document on the desk and for the
// bidder, naming the configured authority; back is where its link returns.
func (p *pages) printLetter(w http.ResponseWriter, r *http.Request, me *registry.Principal, id int64, back string) {
	var l struct {
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
	var buf bytes.Buffer
	data := map[string]any{"L": l, "Authority": p.authority, "Back": back}
	if err := p.tmpl["desk_letter"].Execute(&buf, data); err != nil {
		p.log.Error("render", "page", "desk_letter", "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", "zh-CN")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'none'; frame-ancestors 'none'")
	_, _ = w.Write(buf.Bytes())
}
