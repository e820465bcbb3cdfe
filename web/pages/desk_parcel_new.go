package pages

// A parcel's registration on the desk (/desk/parcels/new): a 国土 TXT or
// GeoJSON file uploaded with the parcel's figures, checked by the API's
// what-if check and previewed before it is saved.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"minerights/geo"
)

// parcelForm is the registration form, kept to show it again.
type parcelForm struct {
	Name, CountyCode, Mineral, Basis, StatedKm2, Top, Bottom, PriceWan, Source string
	FileName, Content                                                          string
}

// countyOption is one county of the counties layer.
type countyOption struct{ Code, Name string }

// deskParcelNewData is the registration page: the form, the problems the
// API found in the file, or the preview of what would be stored.
type deskParcelNewData struct {
	F        parcelForm
	Counties []countyOption
	Problems []fileProblem
	Preview  *preview
}

type preview struct {
	AreaM2  float64
	Report  report
	Checks  []checkLine
	Map     *deskMap
	Corners []cornerRow
}

func (p *pages) counties(r *http.Request, v view) []countyOption {
	var fc struct {
		Features []struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if code, _ := p.get(r, v.Me, "/ogc/collections/counties/items?limit=100", &fc); code != http.StatusOK {
		return nil
	}
	var out []countyOption
	for _, f := range fc.Features {
		code := fmt.Sprint(f.ID)
		if c, ok := f.Properties["fid"].(string); ok && len(code) != 6 {
			code = c
		}
		name, _ := f.Properties["name"].(string)
		out = append(out, countyOption{Code: code, Name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (p *pages) deskParcelNew(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "登记地块")
	if !ok {
		return
	}
	v.Page = deskParcelNewData{F: parcelForm{Basis: "explored"}, Counties: p.counties(r, v)}
	p.render(w, "desk_parcel_new", http.StatusOK, v)
}

// maxUpload bounds a corner-point or GeoJSON file uploaded on the desk.
const maxUpload = 2 << 20

// tooBig is what the desk says of a parcel's file over maxUpload.
const tooBig = "文件过大：拐点坐标文件或 GeoJSON 文件不能超过 2 MiB。"

func (p *pages) deskParcelCreate(w http.ResponseWriter, r *http.Request) {
	f, ok := p.openDeskForm(w, r, "登记地块", maxUpload+64<<10, tooBig, nil)
	if !ok {
		return
	}
	pf, ok := readParcelForm(r)
	if !ok {
		f.show(http.StatusRequestEntityTooLarge, tooBig)
		return
	}
	d := deskParcelNewData{F: pf, Counties: p.counties(r, f.v)}
	f.page = func(v view, status int) {
		v.Page = d
		p.render(w, "desk_parcel_new", status, v)
	}
	if strings.TrimSpace(pf.Content) == "" {
		f.show(http.StatusUnprocessableEntity, "请选择要上传的国土 TXT 拐点坐标文件或 GeoJSON 文件。")
		return
	}
	body := map[string]any{}
	isJSON := strings.HasPrefix(strings.TrimSpace(pf.Content), "{")
	if isJSON {
		body["geometry"] = json.RawMessage(pf.Content)
	} else {
		body["corners_txt"] = pf.Content
	}
	for k, val := range map[string]string{"county_code": pf.CountyCode, "mineral": pf.Mineral, "stated_area_km2": pf.StatedKm2} {
		if val != "" {
			body[k] = val
		}
	}
	if fix := elevationField(body, pf.Top, pf.Bottom); fix != "" {
		f.show(http.StatusUnprocessableEntity, fix)
		return
	}
	if r.FormValue("action") != "save" {
		f.refused = d.refusal("文件或填写内容有误，请按下列提示更正后重新上传。")
		p.previewParcel(f, &d, body, isJSON)
		return
	}
	body["name"], body["county_code"], body["mineral"], body["basis"] = pf.Name, pf.CountyCode, pf.Mineral, pf.Basis
	body["source_document"] = or(pf.Source, "由"+p.authority+"在业务办理页面上传登记（"+or(pf.FileName, "拐点坐标文件")+"）")
	if fix := priceField(body, pf.PriceWan); fix != "" {
		f.show(http.StatusUnprocessableEntity, fix)
		return
	}
	f.refused = d.refusal("未能登记：")
	var created struct {
		ID int64 `json:"id"`
	}
	if !f.sendFor(&created, http.MethodPost, "/api/v1/parcels", body, http.StatusCreated) {
		return
	}
	f.done(fmt.Sprintf("/desk/parcels/%d?done=created", created.ID))
}

// refusal lists the problems the API found in the file on the page, and
// says the first after headline.
func (d *deskParcelNewData) refusal(headline string) func(rep *apiReply) string {
	return func(rep *apiReply) string {
		d.Problems = fileProblems(rep.body.Bytes())
		return headline + or(problemsSummary(d.Problems), chinese(rep.status, rep.body.Bytes()))
	}
}

// readParcelForm reads the registration form and its file (a GBK file
// decoded); false when the file is over maxUpload.
func readParcelForm(r *http.Request) (parcelForm, bool) {
	pf := parcelForm{Name: strings.TrimSpace(r.FormValue("name")), CountyCode: r.FormValue("county_code"), Mineral: strings.TrimSpace(r.FormValue("mineral")),
		Basis: r.FormValue("basis"), StatedKm2: strings.TrimSpace(r.FormValue("stated_km2")), Top: strings.TrimSpace(r.FormValue("top_m")),
		Bottom: strings.TrimSpace(r.FormValue("bottom_m")), PriceWan: strings.TrimSpace(r.FormValue("price_wan")),
		Source: strings.TrimSpace(r.FormValue("source")), Content: r.FormValue("content"), FileName: r.FormValue("file_name")}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return pf, true
	}
	b, err := io.ReadAll(io.LimitReader(file, maxUpload+1))
	_ = file.Close()
	if err == nil && len(b) > 0 {
		if len(b) > maxUpload {
			return pf, false
		}
		// The API takes the file as a JSON string: a GBK file travels decoded.
		pf.Content, pf.FileName = decodeUpload(b), hdr.Filename
	}
	return pf, true
}

// previewParcel runs the API's what-if check of the parcel the form
// describes and shows what would be stored: the computed area, the
// compliance checks, the map and the corner points.
func (p *pages) previewParcel(f *deskForm, d *deskParcelNewData, body map[string]any, isJSON bool) {
	rep, ok := f.send(http.MethodPost, "/api/v1/compliance/check", body, nil, http.StatusOK)
	if !ok {
		return
	}
	var pv preview
	if err := json.Unmarshal(rep.body.Bytes(), &pv.Report); err != nil {
		f.show(http.StatusInternalServerError, "页面生成失败")
		return
	}
	pv.AreaM2, pv.Checks = pv.Report.AreaM2, checkLines(pv.Report)
	var txt *geo.TXT
	if isJSON {
		txt = txtOfGeoJSON(d.F.Content)
	} else if t, err := geo.ParseTXT(strings.NewReader(d.F.Content)); err == nil {
		txt = t
	}
	if txt != nil {
		pv.Corners, _ = corners(txt)
		pv.Map = mapOfTXT(txt)
	}
	d.Preview = &pv
	f.v.Flash = "文件已通过检查。请核对下面的示意图和计算面积，确认无误后点击“保存登记”。"
	f.show(http.StatusOK, "")
}

// decodeUpload reads an uploaded file as the API's TXT reader does (UTF-8
// or GBK), so that a GBK file reaches the API as the same text.
func decodeUpload(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil {
		return string(s)
	}
	return string(b)
}

// txtOfGeoJSON projects a GeoJSON geometry to the Gauss-Krüger corners the
// desk's map draws, labelling the corners 1, 2, ….
func txtOfGeoJSON(s string) *geo.TXT {
	mp, err := geo.ParseGeoJSON([]byte(s))
	if err != nil || len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) == 0 {
		return nil
	}
	zone := geo.ZoneForLon(mp[0][0][0][0])
	t := &geo.TXT{}
	for _, poly := range mp {
		var b geo.Block
		for i, ring := range poly {
			rg := geo.Ring{No: i + 1}
			for k, pt := range ring {
				gk := geo.Forward(zone, pt)
				label := strconv.Itoa(k + 1)
				if k == len(ring)-1 && k > 0 && pt == ring[0] {
					label = "1"
				}
				rg.Corners = append(rg.Corners, geo.Corner{Label: label, X: gk[1], Y: gk[0]})
			}
			b.Rings = append(b.Rings, rg)
		}
		t.Blocks = append(t.Blocks, b)
	}
	return t
}
