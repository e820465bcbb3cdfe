package pages

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"minerights/internal/money"
)

// moneyJSON writes an amount given in 万元 three ways, for the sale room's
// confirmation: the figures, 万元 and 大写 come from internal/money, never
// from a second copy in the browser.
func (p *pages) moneyJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	yuan, err := money.ParseWan(strings.TrimSpace(r.URL.Query().Get("wan")))
	if err != nil || yuan <= 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "请输入以万元为单位的金额，例如 43586.65（最多四位小数，即精确到元）"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"yuan": yuan, "wan_yuan": money.FormatWan(yuan), "capital": money.CapitalYuan(yuan),
		"figures": groupDigits(yuan)})
}

// groupDigits writes 元 with thousands separators: 435866500 → 435,866,500.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
