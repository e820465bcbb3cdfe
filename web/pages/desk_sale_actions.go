package pages

// The actions of a sale on the desk (POST /desk/sales/{id}/{action}): each
// reads its form into the API's request, which makes the change or
// refuses it; the desk checks only what a form must say to be a request.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"minerights/internal/money"
)

// saleAction reads an action's form into the API's operation on the sale
// (its path under /api/v1/sales/{id}/ and its body); a form that does not
// say what the operation needs answers the words for the clerk instead.
type saleAction func(r *http.Request) (path string, body any, fix string)

// saleActions are the desk's actions on a sale, by the name in the path.
var saleActions = map[string]saleAction{
	"announce":     announceAction,
	"notice":       noticeAction,
	"deposit":      depositAction,
	"qualify":      qualifyAction,
	"confirmation": func(*http.Request) (string, any, string) { return "confirmation", nil, "" },
	"publicity":    func(*http.Request) (string, any, string) { return "publicity", nil, "" },
	"resolve":      resolveAction,
	"contract":     contractAction,
	"payment":      paymentAction,
	"default":      sideAction("default", "default"),
	"suspend":      sideAction("suspend", "suspension"),
	"resume":       sideAction("resume", "resumption"),
	"terminate":    sideAction("terminate", "termination"),
	"reoffer":      reofferAction,
}

func (p *pages) deskSaleAction(w http.ResponseWriter, r *http.Request) {
	var id int64
	f, ok := p.openDeskForm(w, r, "出让管理", 64<<10, "", func(v view, status int) { p.showDeskSale(w, r, v, id, status, nil) })
	if !ok {
		return
	}
	action := r.PathValue("action")
	read, known := saleActions[action]
	if !known {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	if id, ok = f.pathID(); !ok {
		return
	}
	path, body, fix := read(r)
	if fix != "" {
		f.show(http.StatusUnprocessableEntity, fix)
		return
	}
	if action == "announce" && r.PostFormValue("do") == "preview" {
		p.showDeskSale(w, r, f.v, id, http.StatusOK, p.preview(r, body.(map[string]time.Time)))
		return
	}
	rep, ok := f.send(http.MethodPost, fmt.Sprintf("/api/v1/sales/%d/%s", id, path), body, nil, http.StatusOK, http.StatusCreated)
	if !ok {
		return
	}
	next := id
	if action == "reoffer" {
		var s sale
		if json.Unmarshal(rep.body.Bytes(), &s) == nil && s.ID > 0 {
			next = s.ID
		}
	}
	f.done(fmt.Sprintf("/desk/sales/%d?done=%s", next, action))
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

// announceAction reads the announcement's windows (the listing's or
// tender's end may be left empty for an auction).
func announceAction(r *http.Request) (string, any, string) {
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
			return "", nil, n.label + "：请按“年-月-日 时:分”填写（北京时间）。"
		}
		times[n.field] = t
	}
	return "announcement", times, ""
}

func noticeAction(r *http.Request) (string, any, string) {
	return "notices", map[string]string{"text": r.PostFormValue("text")}, ""
}

// bidderField reads the bidder a form is about.
func bidderField(r *http.Request) (int64, string) {
	b, err := strconv.ParseInt(r.PostFormValue("bidder_id"), 10, 64)
	if err != nil || b <= 0 {
		return 0, "请选择竞买人。"
	}
	return b, ""
}

func depositAction(r *http.Request) (string, any, string) {
	b, fix := bidderField(r)
	if fix != "" {
		return "", nil, fix
	}
	yuan, fix := wanField(r, "amount", "到账金额", false)
	if fix != "" {
		return "", nil, fix
	}
	return "deposits", map[string]any{"bidder_id": b, "amount": yuan}, ""
}

func qualifyAction(r *http.Request) (string, any, string) {
	b, fix := bidderField(r)
	if fix != "" {
		return "", nil, fix
	}
	approve := r.PostFormValue("approve") == "1"
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if !approve && reason == "" {
		return "", nil, "不予通过资格审核时，须填写理由（仅自然资源和规划局及该竞买人可见）。"
	}
	return "qualifications", map[string]any{"bidder_id": b, "approve": approve, "reason": reason}, ""
}

func resolveAction(r *http.Request) (string, any, string) {
	no, err := strconv.Atoi(r.PostFormValue("no"))
	if err != nil || no <= 0 {
		return "", nil, "请选择要答复的异议。"
	}
	return fmt.Sprintf("objections/%d/resolution", no), map[string]string{"outcome": r.PostFormValue("outcome")}, ""
}

// contractAction reads the contract's payment plan, a line an instalment:
// its due date and amount in 万元.
func contractAction(r *http.Request) (string, any, string) {
	var ins []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(r.PostFormValue("instalments")), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		yuan, err := money.ParseWan(strings.TrimSuffix(f[len(f)-1], "万元"))
		if len(f) != 2 || err != nil || yuan <= 0 {
			return "", nil, fmt.Sprintf("付款计划第 %d 行：请按“到期日 金额（万元）”填写，例如 2027-03-31 20000。", i+1)
		}
		ins = append(ins, map[string]any{"due": f[0], "amount": yuan})
	}
	if len(ins) == 0 {
		return "", nil, "请填写付款计划（每行一期：到期日 金额（万元））。"
	}
	schedule := "lump_sum"
	if len(ins) > 1 {
		schedule = "instalments"
	}
	return "contract", map[string]any{"schedule": schedule, "instalments": ins, "reference": r.PostFormValue("reference")}, ""
}

func paymentAction(r *http.Request) (string, any, string) {
	yuan, fix := wanField(r, "amount", "缴款金额", false)
	if fix != "" {
		return "", nil, fix
	}
	return "payments", map[string]any{"amount": yuan, "reference": r.PostFormValue("reference")}, ""
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

// sideAction is a side exit or a default: a reason, published with it, and
// the clerk's confirmation.
func sideAction(action, path string) saleAction {
	return func(r *http.Request) (string, any, string) {
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			return "", nil, sideWords[action].noReason
		}
		if r.PostFormValue("confirm") != "1" {
			return "", nil, sideWords[action].noConfirm
		}
		return path, map[string]string{"reason": reason}, ""
	}
}

// reofferAction reads the terms of a failed or defaulted sale's next round.
func reofferAction(r *http.Request) (string, any, string) {
	body := map[string]any{}
	if fix := termsFields(r, body); fix != "" {
		return "", nil, fix
	}
	return "reoffer", body, ""
}
