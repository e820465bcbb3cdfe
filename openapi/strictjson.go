package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// strictJSON refuses, before huma decodes it, a JSON request body that the
// validator and the decoder would read differently, or that the database
// cannot store:
//
//   - an object with two keys equal under Unicode case folding ("text" and
//     "Text"): huma validates one of them while encoding/json, which matches
//     field names case-insensitively, keeps the last, so a 250 KB "Text"
//     would slip past a maxLength of 20,000 on "text". 422 naming the key.
//   - a string holding U+0000, which PostgreSQL text and jsonb cannot hold
//     (the insert would fail after validation passed). 422 naming the field.
//   - bytes that are not UTF-8, which the decoder would silently replace by
//     U+FFFD. 400.
//
// It runs as a huma middleware after authentication, so a body is read only
// for an operation that exists and a caller it admits, and only up to the
// operation's own MaxBodyBytes (413 beyond it); huma then reads the same
// bytes again from memory. Every operation with a JSON body passes here: no
// operation can forget it.
func strictJSON(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		if op == nil || op.RequestBody == nil || !jsonRequest(ctx.Header("Content-Type"), op) {
			next(ctx)
			return
		}
		r, _ := humago.Unwrap(ctx)
		if r == nil || r.Body == nil {
			next(ctx)
			return
		}
		limit := op.MaxBodyBytes
		if limit <= 0 {
			limit = MaxBodyBytes
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				limit = tooLarge.Limit
			} else {
				_ = huma.WriteErr(api, ctx, http.StatusBadRequest, "无法读取请求体，请重新发送")
				return
			}
		}
		if err != nil || (limit > 0 && int64(len(body)) > limit) {
			_ = huma.WriteErr(api, ctx, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("请求体超过本操作的上限 %d 字节，未作任何更改", limit))
			return
		}
		if !utf8.Valid(body) {
			_ = huma.WriteErr(api, ctx, http.StatusBadRequest,
				"JSON 请求体不是有效的 UTF-8 文本，未作任何更改；请以 UTF-8 发送（GBK 只用于国土 TXT 文件）")
			return
		}
		if p := checkJSON(body); p != nil {
			_ = huma.WriteErr(api, ctx, http.StatusUnprocessableEntity, p.msg,
				&huma.ErrorDetail{Location: p.loc, Message: p.msg})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(ctx)
	}
}

// jsonRequest says whether huma will decode the body as JSON into the
// operation's input: an operation with a JSON body (a raw body, such as a
// layer's GeoJSON, is read by the handler's own parser), and a JSON media
// type or none at all.
func jsonRequest(ctype string, op *huma.Operation) bool {
	if _, ok := op.RequestBody.Content["application/json"]; !ok {
		return false
	}
	if ctype == "" {
		return true
	}
	mt, _, _ := strings.Cut(ctype, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// jsonProblem is what checkJSON found: where, and in words.
type jsonProblem struct {
	loc, msg string
}

// jsonFrame is an object or array being read.
type jsonFrame struct {
	object  bool
	keys    map[string]string // folded key → the key as sent
	wantKey bool              // an object's next token is a key
	key     string            // the key of the value being read
	index   int               // an array's next index
}

// checkJSON reads a JSON text token by token and reports the first object
// whose keys collide under case folding and the first string (key or value)
// holding U+0000. Syntax errors are left to huma's decoder, which reports
// them; nil means nothing was found.
func checkJSON(body []byte) *jsonProblem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*jsonFrame
	path := func(last string) string {
		var b strings.Builder
		b.WriteString("body")
		for _, f := range stack {
			if f.object {
				if f.wantKey {
					continue
				}
				b.WriteString("." + f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if last != "" {
			b.WriteString("." + last)
		}
		return b.String()
	}
	// valueDone moves the enclosing frame past the value just read.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := stack[len(stack)-1]
		if top.object {
			top.wantKey = true
		} else {
			top.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error huma will report
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			if strings.ContainsRune(key, 0) {
				return &jsonProblem{loc: path(""), msg: fmt.Sprintf("字段名 %q 含有空字符（U+0000），无法保存；请删除该字符", key)}
			}
			folded := foldKey(key)
			if prev, dup := top.keys[folded]; dup {
				return &jsonProblem{loc: path(key), msg: fmt.Sprintf(
					"同一对象中字段 %q 与 %q 仅大小写不同（或重复出现），无法确定以哪一个为准；请只保留一个，并使用文档中的字段名", prev, key)}
			}
			top.keys[folded] = key
			top.key, top.wantKey = key, false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &jsonFrame{object: true, keys: map[string]string{}, wantKey: true})
			case '[':
				stack = append(stack, &jsonFrame{})
			default: // ']' (a '}' was handled with the keys)
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if strings.ContainsRune(t, 0) {
				return &jsonProblem{loc: path(""), msg: "文本中含有空字符（U+0000），无法保存；请删除该字符后重新提交"}
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// foldKey maps a key to one representative of its case-folding class, so
// that two keys are equal after foldKey exactly when strings.EqualFold
// (and encoding/json's field matching) holds them equal: each rune becomes
// the smallest rune of its unicode.SimpleFold orbit (K, k and the Kelvin
// sign K all become K).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
