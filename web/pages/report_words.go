package pages

// A compliance report in Chinese: each check's title, verdict and what it
// found, built from the report's structured fields.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// verdictNames are the Chinese names of a compliance verdict.
var verdictNames = map[string]string{"pass": "通过", "warn": "需复核", "fail": "不通过"}

// effectNames say what a rule of the rule table does.
var effectNames = map[string]string{"exclude": "禁止进入（含退让距离）", "separate_3d": "禁止平面重叠（标高不交叠时为分层，需复核）",
	"within_any": "须位于其内", "within_own_county": "须位于所在县内"}

// checkLine is one check of a compliance report in Chinese, built from the
// report's structured fields (the report's statements are English).
type checkLine struct {
	Title   string
	Verdict string
	Words   []string
	Layer   string
	Version int
}

func checkLines(rep report) []checkLine {
	var out []checkLine
	for _, c := range rep.Checks {
		l := checkLine{Title: zhTitle(c.LayerKind, c.Title), Verdict: c.Verdict, Layer: c.Layer, Version: c.LayerVersion}
		c.Title = l.Title
		switch {
		case c.Check == "validity":
			l.Title = "几何有效性"
			if c.Verdict == "pass" {
				l.Words = []string{"边界图形有效。"}
			} else {
				l.Words = []string{"边界图形无效：请更正拐点坐标；其他检查未进行。"}
			}
		case c.Check == "area":
			l.Title = "面积核对"
			switch c.Verdict {
			case "pass":
				l.Words = []string{fmt.Sprintf("申报面积与计算面积（%s 平方公里）相符。", strconv.FormatFloat(rep.AreaM2/1e6, 'f', 4, 64))}
			default:
				l.Words = []string{fmt.Sprintf("申报面积与计算面积（%s 平方公里）不符或未申报：请更正申报面积或拐点坐标。", strconv.FormatFloat(rep.AreaM2/1e6, 'f', 4, 64))}
			}
		case c.Check == "parcels":
			l.Title = "与其他已登记地块"
			l.Words = hitWords("已登记地块", c)
			if len(l.Words) == 0 {
				l.Words = []string{"与其他已登记地块无重叠，也不在退让距离内。"}
			}
		case c.Layer == "" && c.LayerVersion == 0 && c.Check != "parcels":
			l.Words = []string{"尚未导入该类图层，无法检查：请在“图层”中导入。"}
		case c.Effect == "within_any":
			if c.CoveredPct != nil {
				l.Words = []string{fmt.Sprintf("地块有 %s%% 位于%s内。", strconv.FormatFloat(*c.CoveredPct, 'f', 1, 64), c.Title)}
			}
			l.Words = append(l.Words, hitWords(c.Title, c)...)
		case c.Effect == "within_own_county":
			if c.Verdict == "pass" {
				l.Words = []string{"完全位于所在县内。"}
			} else {
				l.Words = append([]string{"不完全位于所在县内（跨县界或位于他县）。"}, hitWords("县", c)...)
			}
		default:
			l.Words = hitWords(c.Title, c)
			if len(l.Words) == 0 {
				l.Words = []string{"未与任何" + c.Title + "重叠，也不在退让距离内。"}
			}
		}
		out = append(out, l)
	}
	return out
}

func hitWords(what string, c check) []string {
	var out []string
	for _, h := range c.Hits {
		name := or(h.Name, h.FID)
		sev := or(verdictNames[h.Severity], h.Severity)
		switch {
		case h.OverlapM2 > 0:
			out = append(out, fmt.Sprintf("与%s“%s”重叠 %s 平方米（占地块 %s%%）——%s。", what, name, groupDigits(int64(h.OverlapM2+0.5)),
				strconv.FormatFloat(h.OverlapPct, 'f', 2, 64), sev))
		default:
			out = append(out, fmt.Sprintf("距%s“%s” %s 米——%s。", what, name, strconv.FormatFloat(h.DistanceM, 'f', 1, 64), sev))
		}
		if h.ElevationTopM != nil && h.ElevationBottomM != nil {
			out[len(out)-1] += fmt.Sprintf("（对方开采标高 %s 米至 %s 米）", strconv.FormatFloat(*h.ElevationTopM, 'f', -1, 64), strconv.FormatFloat(*h.ElevationBottomM, 'f', -1, 64))
		}
		if h.OverlapM3 != nil && *h.OverlapM3 > 0 {
			out[len(out)-1] += fmt.Sprintf("（与对方共用开采空间 %s 立方米）", groupDigits(int64(*h.OverlapM3+0.5)))
		}
	}
	return out
}

// staleWords say in Chinese why a report is stale.
func staleWords(why string) string {
	var parts []string
	w := strings.ToLower(why)
	if strings.Contains(w, "layer") {
		parts = append(parts, "所用图层已有新版本或新增了图层")
	}
	if strings.Contains(w, "rule") || strings.Contains(w, "setting") {
		parts = append(parts, "检查规则或设置已修改")
	}
	if strings.Contains(w, "parcel") {
		parts = append(parts, "地块数据已修改")
	}
	if len(parts) == 0 {
		parts = append(parts, "检查依据已变化")
	}
	return strings.Join(parts, "；")
}

// report is a compliance report (GET /api/v1/parcels/{id}/compliance, and
// the answer of a what-if check), its fields in the order the page shows
// them.
type report struct {
	Verdict       string         `json:"verdict"`
	CreatedAt     time.Time      `json:"created_at"`
	ParcelVersion int            `json:"parcel_version"`
	AreaM2        float64        `json:"area_m2"`
	Stale         bool           `json:"stale"`
	StaleReason   string         `json:"stale_reason"`
	Checks        []check        `json:"checks"`
	LayerVersions map[string]int `json:"layer_versions"`
}

// check is one check of a report: a rule against a layer, or the area,
// validity and other-parcels checks.
type check struct {
	Check        string   `json:"check"`
	Verdict      string   `json:"verdict"`
	Title        string   `json:"title"`
	LayerKind    string   `json:"layer_kind"`
	Layer        string   `json:"layer"`
	LayerVersion int      `json:"layer_version"`
	Effect       string   `json:"effect"`
	CoveredPct   *float64 `json:"covered_pct"`
	Hits         []hit    `json:"hits"`
}

// hit is a feature a check found within reach of the parcel.
type hit struct {
	FID              string   `json:"fid"`
	Name             string   `json:"name"`
	OverlapM2        float64  `json:"overlap_m2"`
	OverlapPct       float64  `json:"overlap_pct"`
	DistanceM        float64  `json:"distance_m"`
	ElevationTopM    *float64 `json:"elevation_top_m"`
	ElevationBottomM *float64 `json:"elevation_bottom_m"`
	OverlapM3        *float64 `json:"overlap_m3"`
	Severity         string   `json:"severity"`
}
