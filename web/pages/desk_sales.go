package pages

// The bureau's desk for sales (/desk/sales), accounts (/desk/accounts) and
// the audit (/desk/audit): server-rendered pages that read and change state
// only through the HTTP API called in process as the signed-in clerk, so
// every rule stays the API's and every refusal is the API's, said in Chinese.
// This file: the routes and the list of sales with the form that creates
// one; a sale's page is desk_sale.go, its actions desk_sale_actions.go, its
// documents desk_documents.go.

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"minerights/internal/money"
)

// deskRoutes registers the sales desk's pages.
func (p *pages) deskRoutes(mux *http.ServeMux, funcs template.FuncMap) {
	for _, name := range []string{"desk_sales", "desk_sale", "desk_accounts", "desk_audit"} {
		p.tmpl[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/"+name+".html"))
	}
	mux.HandleFunc("GET /desk/sales", p.deskPage("出让管理", p.showDeskSales))
	mux.HandleFunc("POST /desk/sales", p.deskCreateSale)
	p.tmpl["desk_letter"] = template.Must(template.New("desk_letter.html").Funcs(funcs).ParseFS(templates, "templates/desk_letter.html"))
	mux.HandleFunc("GET /desk/sales/{id}", p.deskSale)
	mux.HandleFunc("GET /desk/sales/{id}/letter", p.deskLetter)
	mux.HandleFunc("POST /desk/sales/{id}/{action}", p.deskSaleAction)
	mux.HandleFunc("GET /desk/accounts", p.deskPage("账户管理", p.showDeskAccounts))
	mux.HandleFunc("POST /desk/accounts", p.deskAccountCreate)
	mux.HandleFunc("POST /desk/accounts/{id}/{action}", p.deskAccountAction)
	mux.HandleFunc("GET /desk/audit", p.deskAudit)
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

type deskSalesData struct {
	Rows    []saleRow
	Parcels []parcel
	Form    url.Values
}

// showDeskSales writes the list of sales and the form that creates one,
// filled as it was posted (r.PostForm) when it is shown again.
func (p *pages) showDeskSales(w http.ResponseWriter, r *http.Request, v view, status int) {
	v.Flash = deskDone[r.URL.Query().Get("done")]
	rows, parcels, st, msg := p.saleRows(r, v.Me, 1000)
	if st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	d := deskSalesData{Rows: rows, Form: formValues(r)}
	for _, pc := range parcels {
		if pc.StartingPrice != nil && pc.Status == "registered" {
			d.Parcels = append(d.Parcels, pc)
		}
	}
	v.Page = d
	p.render(w, "desk_sales", status, v)
}

// formValues are the values a form was posted with, to fill it again; none
// on a page that was only asked for.
func formValues(r *http.Request) url.Values {
	if r.PostForm == nil {
		return url.Values{}
	}
	return r.PostForm
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

// termsFields reads a sale's terms (method, increment, deposit and the
// optional reserve, in 万元) into body, as the API takes them; it answers
// the words of the first amount that is not one.
func termsFields(r *http.Request, body map[string]any) string {
	body["method"] = r.PostFormValue("method")
	for _, f := range []struct{ name, label string }{{"increment", "加价幅度"}, {"deposit", "竞买保证金"}, {"reserve", "底价"}} {
		yuan, msg := wanField(r, f.name, f.label, f.name == "reserve")
		if msg != "" {
			return msg
		}
		if yuan > 0 {
			body[f.name] = yuan
		}
	}
	return ""
}

func (p *pages) deskCreateSale(w http.ResponseWriter, r *http.Request) {
	f, ok := p.openDeskForm(w, r, "出让管理", 64<<10, "", func(v view, status int) { p.showDeskSales(w, r, v, status) })
	if !ok {
		return
	}
	parcelID, err := strconv.ParseInt(r.PostFormValue("parcel_id"), 10, 64)
	if err != nil || parcelID <= 0 {
		f.show(http.StatusUnprocessableEntity, "请选择要出让的矿业权。")
		return
	}
	body := map[string]any{"parcel_id": parcelID}
	if msg := termsFields(r, body); msg != "" {
		f.show(http.StatusUnprocessableEntity, msg)
		return
	}
	var s sale
	if !f.sendFor(&s, http.MethodPost, "/api/v1/sales", body, http.StatusCreated) {
		return
	}
	f.done(fmt.Sprintf("/desk/sales/%d?done=created", s.ID))
}
