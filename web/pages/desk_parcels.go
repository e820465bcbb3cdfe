package pages

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"minerights/geo"
	"minerights/registry"
)

// deskParcel is the part of the API's parcel the desk shows and edits.
type deskParcel struct {
	parcel
	Basis     string  `json:"basis"`
	BasisText *string `json:"basis_text"`
	Area      struct {
		StatedKm2   string  `json:"stated_km2"`
		ComputedKm2 string  `json:"computed_km2"`
		ComputedM2  float64 `json:"computed_m2"`
		CRS         string  `json:"crs"`
	} `json:"area"`
	County struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"county"`
	Capacity []struct {
		Commodity string `json:"commodity"`
		Quantity  string `json:"quantity"`
		Unit      string `json:"unit"`
	} `json:"capacity"`
	Statement   *string   `json:"statement"`
	Schedule    *string   `json:"schedule"`
	Responsible []string  `json:"responsible"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// deskParcelsData is the parcels table.
type deskParcelsData struct {
	Items                  []deskParcel
	Total                  int
	Q, County, Mineral, St string
	Counties               []string
	Statuses               []string
}

func (p *pages) deskParcels(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "地块")
	if !ok {
		return
	}
	q := r.URL.Query()
	d := deskParcelsData{Q: strings.TrimSpace(q.Get("q")), County: q.Get("county"), Mineral: strings.TrimSpace(q.Get("mineral")), St: q.Get("status"),
		Statuses: parcelStatuses}
	var all struct {
		Items []deskParcel `json:"items"`
	}
	// The counties offered are those of the registered parcels.
	if code, msg := p.get(r, v.Me, "/api/v1/parcels?limit=1000", &all); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	seen := map[string]bool{}
	for _, pc := range all.Items {
		if !seen[pc.County.Name] {
			seen[pc.County.Name] = true
			d.Counties = append(d.Counties, pc.County.Name)
		}
	}
	sort.Strings(d.Counties)
	path := "/api/v1/parcels?limit=1000"
	for k, val := range map[string]string{"county": d.County, "mineral": d.Mineral, "status": d.St} {
		if val != "" {
			path += "&" + k + "=" + urlQuery(val)
		}
	}
	var list struct {
		Items []deskParcel `json:"items"`
	}
	if code, msg := p.get(r, v.Me, path, &list); code != http.StatusOK {
		v.Error = msg
	}
	for _, pc := range list.Items {
		if d.Q != "" && !strings.Contains(pc.Name, d.Q) && (pc.GazetteNo == nil || strconv.Itoa(*pc.GazetteNo) != d.Q) {
			continue
		}
		d.Items = append(d.Items, pc)
	}
	d.Total = len(d.Items)
	v.Page = d
	p.render(w, "desk_parcels", http.StatusOK, v)
}

// deskParcelData is a parcel's page.
type deskParcelData struct {
	P        deskParcel
	Corners  []cornerRow
	Zone     string
	Map      *deskMap
	Report   *report
	Checks   []checkLine
	Layers   []layerVersion
	Overlaps []overlapRow
}

type layerVersion struct {
	Name    string
	Version int
}

// deskParcelView starts a desk page about the parcel in the path: the
// clerk's view, the parcel's id and the parcel read into pc. When it answers
// false it has already written the error page.
func (p *pages) deskParcelView(w http.ResponseWriter, r *http.Request, title string, pc *deskParcel) (view, int64, bool) {
	v, id, ok := p.deskItem(w, r, title)
	if !ok {
		return v, 0, false
	}
	if code, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d", id), pc); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return v, 0, false
	}
	return v, id, true
}

// parcelCorners reads parcel id's corner points (国土 TXT) from the API; nil
// when it has none to show.
func (p *pages) parcelCorners(r *http.Request, me *registry.Principal, id int64) *geo.TXT {
	rep := p.call(r, me, http.MethodGet, fmt.Sprintf("/api/v1/parcels/%d/corners", id), nil)
	if rep.status != http.StatusOK {
		return nil
	}
	txt, err := geo.ParseTXT(bytes.NewReader(rep.body.Bytes()))
	if err != nil {
		return nil
	}
	return txt
}

func (p *pages) deskParcel(w http.ResponseWriter, r *http.Request) {
	var d deskParcelData
	v, id, ok := p.deskParcelView(w, r, "地块", &d.P)
	if !ok {
		return
	}
	if txt := p.parcelCorners(r, v.Me, id); txt != nil {
		d.Corners, _ = corners(txt)
		d.Map = mapOfTXT(txt)
		d.Zone = attr(txt, "带号")
	}
	var rep report
	code, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), &rep)
	switch code {
	case http.StatusOK:
		d.Report, d.Checks, d.Layers = &rep, checkLines(rep), layerVersions(rep)
		d.Overlaps = p.overlaps(r, v, id, d.Map)
	case http.StatusNotFound:
	default:
		v.Error = msg
	}
	v.Title = "地块 · " + d.P.Name
	switch r.URL.Query().Get("done") {
	case "created":
		v.Flash = "地块已登记。请运行合规检查。"
	case "checked":
		v.Flash = "合规检查已完成，报告如下。"
	case "updated":
		v.Flash = "地块数据已保存。原合规报告已过时，请重新检查。"
	}
	v.Page = d
	p.render(w, "desk_parcel", http.StatusOK, v)
}

func attr(t *geo.TXT, key string) string {
	for _, a := range t.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func layerVersions(rep report) []layerVersion {
	var out []layerVersion
	for n, ver := range rep.LayerVersions {
		out = append(out, layerVersion{Name: n, Version: ver})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (p *pages) deskCompliance(w http.ResponseWriter, r *http.Request) {
	f, ok := p.openDeskForm(w, r, "合规检查", 16<<10, "", nil)
	if !ok {
		return
	}
	id, ok := f.pathID()
	if !ok {
		return
	}
	if _, ok := f.send(http.MethodPost, fmt.Sprintf("/api/v1/parcels/%d/compliance", id), nil, nil, http.StatusCreated); ok {
		f.done(fmt.Sprintf("/desk/parcels/%d?done=checked#compliance", id))
	}
}
