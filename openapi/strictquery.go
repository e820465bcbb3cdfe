package openapi

import (
	"fmt"
	"minerights/internal/problem"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// cleanURL refuses, with 400 and before any handler runs, a request whose
// path or query parameters (names or values) are not UTF-8 or hold U+0000:
// PostgreSQL text cannot hold either, so a handler passing such a value to
// a query would fail with a 500, and nothing that was ever stored can be
// named by one. It answers the refusal itself and returns false.
func cleanURL(w http.ResponseWriter, r *http.Request) bool {
	if bad(r.URL.Path) {
		problem.Write(w, http.StatusBadRequest, "请求路径含有空字符（U+0000）或不是有效的 UTF-8 文本，未作任何更改", "")
		return false
	}
	if r.URL.RawQuery == "" {
		return true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		problem.Write(w, http.StatusBadRequest, "查询参数无法解析（百分号编码有误），未作任何更改", "")
		return false
	}
	for k, vs := range q {
		if bad(k) {
			problem.Write(w, http.StatusBadRequest, fmt.Sprintf("查询参数名 %q 含有空字符（U+0000）或不是有效的 UTF-8 文本，未作任何更改", strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), "")), "")
			return false
		}
		for _, v := range vs {
			if bad(v) {
				problem.Write(w, http.StatusBadRequest, fmt.Sprintf("查询参数 %s 的值含有空字符（U+0000）或不是有效的 UTF-8 文本，未作任何更改", k), "")
				return false
			}
		}
	}
	return true
}

func bad(s string) bool { return strings.ContainsRune(s, 0) || !utf8.ValidString(s) }
