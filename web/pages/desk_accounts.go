package pages

// The desk's accounts (/desk/accounts): the bidding companies awaiting
// approval, every account, and the form that makes a clerk's or planner's.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

type deskAccountsData struct {
	Pending, All []account
	Form         url.Values
}

// showDeskAccounts writes the accounts page, the form filled as it was
// posted (r.PostForm, but the password) when it is shown again.
func (p *pages) showDeskAccounts(w http.ResponseWriter, r *http.Request, v view, status int) {
	v.Flash = deskDone[r.URL.Query().Get("done")]
	var pending, all struct {
		Items []account `json:"items"`
	}
	if st, msg := p.get(r, v.Me, "/api/v1/accounts?pending=true&limit=1000", &pending); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	if st, msg := p.get(r, v.Me, "/api/v1/accounts?limit=1000", &all); st != http.StatusOK {
		p.fail(w, r, st, msg)
		return
	}
	waiting := map[int64]bool{}
	for _, a := range pending.Items {
		waiting[a.ID] = true
	}
	for i := range all.Items {
		all.Items[i].Pending = waiting[all.Items[i].ID]
	}
	form := formValues(r)
	form.Del("password")
	v.Page = deskAccountsData{Pending: pending.Items, All: all.Items, Form: form}
	p.render(w, "desk_accounts", status, v)
}

func (p *pages) deskAccountCreate(w http.ResponseWriter, r *http.Request) {
	f, ok := p.openDeskForm(w, r, "账户管理", 64<<10, "", func(v view, status int) { p.showDeskAccounts(w, r, v, status) })
	if !ok {
		return
	}
	body := map[string]string{"role": r.PostFormValue("role"), "login": strings.TrimSpace(r.PostFormValue("login")),
		"name": strings.TrimSpace(r.PostFormValue("name")), "phone": strings.TrimSpace(r.PostFormValue("phone")), "password": r.PostFormValue("password")}
	if _, ok := f.send(http.MethodPost, "/api/v1/accounts", body, nil, http.StatusCreated); ok {
		f.done("/desk/accounts?done=account")
	}
}

func (p *pages) deskAccountAction(w http.ResponseWriter, r *http.Request) {
	f, ok := p.openDeskForm(w, r, "账户管理", 64<<10, "", func(v view, status int) { p.showDeskAccounts(w, r, v, status) })
	if !ok {
		return
	}
	path := map[string]string{"approve": "approval", "disable": "disablement"}[r.PathValue("action")]
	if path == "" {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	id, ok := f.pathID()
	if !ok {
		return
	}
	if _, ok := f.send(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/%s", id, path), nil, nil, http.StatusOK); ok {
		f.done("/desk/accounts?done=" + r.PathValue("action"))
	}
}

// account is a web account (GET /api/v1/accounts).
type account struct {
	ID     int64  `json:"id"`
	Login  string `json:"login"`
	Role   string `json:"role"`
	Name   string `json:"name"`
	Bidder *struct {
		Name       string  `json:"name"`
		CreditCode *string `json:"credit_code"`
	} `json:"bidder"`
	DisabledAt *time.Time `json:"disabled_at"`
	CreatedAt  time.Time  `json:"created_at"`
	// Pending is set for an account the API lists as awaiting approval
	// (GET /api/v1/accounts?pending=true): the API's word, not a second
	// copy of its rule.
	Pending bool `json:"-"`
}
