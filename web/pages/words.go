package pages

import (
	"encoding/json"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// methodNames are the Chinese names of the transfer methods.
var methodNames = map[string]string{"listing": "挂牌", "auction": "拍卖", "tender": "招标"}

// stateNames are the Chinese names of a sale's states.
var stateNames = map[string]string{
	"draft": "草稿", "announced": "已公告", "applying": "报名中", "listing": "挂牌中", "timed_bidding": "限时竞价",
	"auction_live": "拍卖中", "tender_open": "招标中", "closed_sold": "已成交", "failed": "流拍", "suspended": "已暂停",
	"terminated": "已终止", "confirmed": "已签成交确认书", "publicity": "结果公示中", "contracted": "已签出让合同",
	"defaulted": "竞得人违约",
}

// ruleSetNames are the Chinese names of the rule sets shipped in
// data/rules; a rule set configured under another name is shown by that
// name, as the identifier it is.
var ruleSetNames = map[string]string{"default": "本市采矿权出让规则（默认）", "drill": "演练规则（缩短的期限，仅供演练）"}

// rulesName names a sale's rule set in Chinese, or as a code.
func rulesName(name string) template.HTML {
	if zh, ok := ruleSetNames[name]; ok {
		return template.HTML(template.HTMLEscapeString(zh))
	}
	return template.HTML(`<code translate="no">` + template.HTMLEscapeString(name) + `</code>`)
}

// kindNames are the Chinese names of the layer kinds of the rule table
// (compliance_rule.layer_kind): a check's title, a layer's title and the
// rule table fall back on them when what is stored is not Chinese.
var kindNames = map[string]string{"redline": "生态保护红线", "farmland": "永久基本农田", "mountain": "重点保护山体",
	"mining_right": "现有采矿权", "mining_zone": "规划开采区", "county": "县级行政区"}

// latinAside is a bracketed aside with Latin letters in it, as in the
// seeded titles "生态保护红线 (ecological protection red line)".
var latinAside = regexp.MustCompile(`\s*[(（][^()（）]*[A-Za-z][^()（）]*[)）]`)

var latinWord = regexp.MustCompile(`[A-Za-z]{2,}`)

// zhTitle is the title of a rule, check or layer of a kind in Chinese: the
// stored title without its English asides, or the kind's Chinese name when
// the title has no Chinese; a title of a kind the table does not know is
// shown as entered.
func zhTitle(kind, title string) string {
	t := strings.TrimSpace(latinAside.ReplaceAllString(title, ""))
	if hasHan(t) && !latinWord.MatchString(t) {
		return t
	}
	if zh, ok := kindNames[kind]; ok {
		return zh
	}
	return or(t, title)
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// viaWords say how a layer version came in (its provenance "via").
func viaWords(via string) string {
	switch {
	case strings.HasPrefix(via, "POST /api/"):
		return "通过接口上传（含业务办理页面）"
	case strings.HasPrefix(via, "minerights import"), via == "import":
		return "命令行导入"
	case via == "seed", strings.HasPrefix(via, "minerights seed"):
		return "系统初始数据"
	}
	return via
}

// phaseNames name the bidding phase a bid was made in.
var phaseNames = map[string]string{"listing": "挂牌期", "timed_bidding": "限时竞价", "auction_live": "拍卖", "tender_open": "招标"}

// failNames say why a sale failed.
var failNames = map[string]string{"no_bids": "无人报价", "too_few_bidders": "竞买人不足", "below_reserve": "最高报价低于底价"}

// ruleWords are what a bidder is told when the API refuses, by the rule
// the API names (the detail at "rule"), or by another stable detail
// message. The sale room reads the same table (rendered into the page).
var ruleWords = map[string]string{
	"bid-below-minimum":         "报价过低：低于当前最低应价",
	"invalid-amount":            "报价金额无效：须为加价幅度的整数倍",
	"already-highest":           "您已是当前最高报价者，无需再次报价",
	"not-applied":               "您尚未报名参加本次出让",
	"not-qualified":             "您的竞买资格尚未审核通过",
	"deposit-unpaid":            "竞买保证金尚未到账",
	"no-listing-quote":          "您在挂牌期内未报价，不能参加限时竞价",
	"bidding-not-open":          "竞价尚未开始",
	"timed-bidding-not-started": "限时竞价尚未开始",
	"window-not-open":           "尚未到开始时间",
	"window-closed":             "已过截止时间，报价未被接受",
	"sale-closed":               "本次出让已结束",
	"sale-suspended":            "本次出让已暂停",
	"wrong-state":               "当前阶段不能进行此操作",
	"bid-rate":                  "报价过于频繁，请稍后再试",
	"already-applied":           "您已报名，无需重复报名",
	"bidder-barred":             "您因违约被禁止参加本宗采矿权的出让",
	"clock-skew":                "服务器时间异常，请稍后再试",
	"account-pending":           "您的账户尚待自然资源和规划局审核通过，审核通过后方可报名",
	"session-ended":             "登录已失效，请重新登录",
	"csrf":                      "页面已过期，请刷新页面后重试",
	"suspended":                 "本次出让已暂停",
	"bidder-missing":            "请选择竞买人",
	"reason-missing":            "不予通过资格审核时，须填写理由",
	"bids-irrevocable":          "该竞买人已报价，报价不可撤回，不能再取消其资格",
	"calendar-not-loaded":       "所需年度的工作日历尚未载入，无法按工作日计算期限：请先在“工作日历”中载入",
	"invalid-terms":             "出让条件有误：起始价、加价幅度和保证金须为有效金额",
	"invalid-windows":           "公告、报名、保证金和竞价的时间安排不符合出让规则（先后顺序或最短期限）",
	"objection-limit":           "异议数量已达上限",
	"objection-resolved":        "该异议已答复，不能重复答复",
	"unknown-objection":         "没有这一号异议",
	"objections-open":           "尚有未答复的异议，答复后方可签订出让合同",
	"publicity-over":            "结果公示期已结束，不能再提出异议",
	"publicity-running":         "结果公示期尚未结束，期满后方可签订出让合同",
	"reserve-fixed":             "出让公告发布后底价不得修改",
	"reserve-range":             "底价须不低于起始价且为有效金额",
	"reserve-salt":              "底价承诺的随机数无效",
	"unknown-method":            "出让方式须为挂牌、拍卖或招标",
}

// statusWords are said when no rule is named.
var statusWords = map[int]string{
	http.StatusBadRequest:            "请求有误",
	http.StatusUnauthorized:          "请先登录",
	http.StatusForbidden:             "您无权进行此操作",
	http.StatusNotFound:              "未找到该记录",
	http.StatusConflict:              "当前状态不允许此操作",
	http.StatusPreconditionFailed:    "数据已被他人修改，请刷新页面后重试",
	http.StatusRequestEntityTooLarge: "上传的文件或提交的内容过大",
	http.StatusUnsupportedMediaType:  "提交的内容格式不受支持",
	http.StatusUnprocessableEntity:   "输入有误，请检查后重试",
	http.StatusTooManyRequests:       "操作过于频繁，请稍后再试",
	http.StatusServiceUnavailable:    "服务暂时不可用，请稍后重试",
}

// problem is the part of an RFC 9457 problem the pages read.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

// chinese says what a problem answer means, in Chinese: the rule the API
// names, else the status.
func chinese(status int, body []byte) string {
	var p problem
	_ = json.Unmarshal(body, &p)
	for _, e := range p.Errors {
		if w, ok := ruleWords[e.Message]; ok {
			return w
		}
	}
	w, ok := statusWords[status]
	if !ok {
		w = "操作失败（" + strconv.Itoa(status) + "）"
	}
	// The API's detail follows only when it is Chinese; its English words
	// stay in the API's answer and the log, not on the page.
	if d := strings.TrimSpace(p.Detail); d != "" && !strings.ContainsAny(d, "<>") && hasHan(d) && !latinWord.MatchString(d) {
		return w + "（" + d + "）"
	}
	return w
}
