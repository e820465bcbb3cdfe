package pages

// The problems the API finds in a corner-point file, a GeoJSON geometry or
// a form, in Chinese: where (the line, block, ring and corner point) and
// what to correct.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// fileProblem is one problem the API found in a file, at the line and
// corner it names.
type fileProblem struct {
	Line  int
	Where string
	Text  string
}

// geoLocation reads the place a geo.Error names: "line 12 (block 1, ring 1,
// point J7): reason" or "block 1, ring 1, point J7: reason".
var geoLocation = regexp.MustCompile(`^(?:line (\d+)(?: \(([^)]*)\))?|((?:(?:block|polygon|ring|point) [^,:]+(?:, )?)+)): (.*)$`)

// fileProblems reads the problems of a 422 answer.
func fileProblems(body []byte) []fileProblem {
	var pr problem
	_ = json.Unmarshal(body, &pr)
	var out []fileProblem
	for _, e := range pr.Errors {
		msg := e.Message
		fp := fileProblem{}
		if m := geoLocation.FindStringSubmatch(msg); m != nil {
			fp.Line, _ = strconv.Atoi(m[1])
			loc := m[2]
			if loc == "" {
				loc = m[3]
			}
			fp.Where = whereWords(loc)
			fp.Text = reasonWords(m[4])
		} else {
			fp.Text = or(fieldWords(e.Location), "") + reasonWords(msg)
		}
		out = append(out, fp)
	}
	return out
}

// problemsSummary is the first problem in one line, for the page's alert.
func problemsSummary(ps []fileProblem) string {
	if len(ps) == 0 {
		return ""
	}
	s := ps[0].Text
	if ps[0].Where != "" {
		s = ps[0].Where + "：" + s
	}
	if ps[0].Line > 0 {
		s = fmt.Sprintf("第 %d 行，", ps[0].Line) + s
	}
	return s
}

var locPart = regexp.MustCompile(`(block|polygon|ring|point) ([^,\s]+)`)

func whereWords(loc string) string {
	var parts []string
	for _, m := range locPart.FindAllStringSubmatch(loc, -1) {
		switch m[1] {
		case "block":
			parts = append(parts, "第 "+m[2]+" 地块")
		case "polygon":
			parts = append(parts, "第 "+m[2]+" 个多边形")
		case "ring":
			parts = append(parts, "第 "+m[2]+" 圈")
		case "point":
			parts = append(parts, "拐点 "+m[2])
		}
	}
	return strings.Join(parts, "，")
}

func fieldWords(loc string) string {
	switch loc {
	case "body.county_code":
		return "所在县："
	case "body.stated_area_km2":
		return "申报面积："
	case "body.elevation":
		return "开采标高："
	case "body.name":
		return "矿业权名称："
	case "body.mineral":
		return "开采矿种："
	}
	return ""
}

// reasonPatterns put the geometry validator's reasons (geo) into Chinese;
// a reason not listed keeps the API's words after a Chinese lead.
var reasonPatterns = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^ring is self-intersecting: segment (\S+)-(\S+) crosses segment (\S+)-(\S+)(?: of ring (\d+))?`), "边界自相交：线段 $1–$2 与线段 $3–$4 交叉。请核对这几个拐点的坐标和顺序"},
	{regexp.MustCompile(`^ring is self-intersecting: segment (\S+)-(\S+) runs along segment (\S+)-(\S+)(?: of ring (\d+))?`), "边界自相交：线段 $1–$2 与线段 $3–$4 重叠。请核对这几个拐点的坐标"},
	{regexp.MustCompile(`^ring is self-intersecting: segment (\S+)-(\S+) touches segment (\S+)-(\S+)(?: of ring (\d+))?`), "边界自相交：线段 $1–$2 与线段 $3–$4 相接。请核对这几个拐点的坐标"},
	{regexp.MustCompile(`^ring is not closed: the last point must repeat the first point \((\S+)\)`), "边界未闭合：最后一个拐点须与第一个拐点（$1）相同"},
	{regexp.MustCompile(`^ring has (\d+) points; a ring needs at least 4`), "该圈只有 $1 个点：至少需要 3 个拐点，再重复第一个拐点闭合"},
	{regexp.MustCompile(`^ring has fewer than 3 distinct corners`), "该圈不同的拐点少于 3 个"},
	{regexp.MustCompile(`^ring has zero area`), "该圈面积为零：拐点在一条直线上"},
	{regexp.MustCompile(`^hole \(ring (\d+)\) is not inside the outer ring`), "内圈（第 $1 圈）不在外圈之内"},
	{regexp.MustCompile(`^header says 点数=(\d+) but the block has (\d+) corners`), "地块头写的点数为 $1，实际有 $2 个拐点"},
	{regexp.MustCompile(`^the file's 带号 is (\d+), but this registry's parcels are in 3° zone (\d+)`), "文件的带号为 $1，本系统的地块在 3 度带第 $2 带：请把坐标换算到第 $2 带"},
	{regexp.MustCompile(`^the corner-point file has no block under \[地块坐标\]`), "文件的 [地块坐标] 部分没有地块"},
	{regexp.MustCompile(`^layer (\S+) is new: say its kind`), "图层 $1 是新图层：请填写图层类别（例如 railway），并在合规规则中为该类别添加规则"},
}

func reasonWords(s string) string {
	for _, p := range reasonPatterns {
		if m := p.re.FindStringSubmatchIndex(s); m != nil {
			return string(p.re.ExpandString(nil, p.zh, s, m)) + "。"
		}
	}
	if hasHan(s) && !latinWord.MatchString(s) {
		return "坐标或填写内容有误（" + s + "）"
	}
	return "坐标或填写内容有误：请核对该处的拐点坐标和填写内容。"
}

// problemWords says what a refused change was refused for: the Chinese
// words of the status or rule, and the API's own detail for the record.
func problemWords(rep *apiReply) string {
	var pr problem
	_ = json.Unmarshal(rep.body.Bytes(), &pr)
	if len(pr.Errors) > 0 {
		e := pr.Errors[0]
		if w, ok := ruleWords[e.Message]; ok {
			return w
		}
		return or(fieldWords(e.Location), or(statusWords[rep.status], "操作失败")+"：") + reasonWords(e.Message)
	}
	return chinese(rep.status, rep.body.Bytes())
}

// featureWords names the feature a problem's location points at
// (body.features[3] is the 4th).
func featureWords(loc string) string {
	i := strings.Index(loc, "features[")
	if i < 0 {
		return ""
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(loc[i+len("features["):], "]"))
	return fmt.Sprintf("第 %d 个要素：", n+1)
}

// listProblems says why the API refused a file: headline and the status's
// words, with each error of the refusal listed in *into, a line each in the
// words of line(location, message).
func listProblems(into *[]string, line func(loc, msg string) string, headline string) func(rep *apiReply) string {
	return func(rep *apiReply) string {
		var pr problem
		_ = json.Unmarshal(rep.body.Bytes(), &pr)
		for _, e := range pr.Errors {
			*into = append(*into, line(e.Location, e.Message))
		}
		return headline + or(statusWords[rep.status], "操作失败")
	}
}
