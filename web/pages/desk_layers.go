package pages

// The desk's check layers (/desk/layers): every layer with its versions,
// and the upload of a new version through the API's import.

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// layer is one version of a check layer (GET /api/v1/layers, and the
// answer of an import).
type layer struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	Version   int    `json:"version"`
	Current   bool   `json:"current"`
	Unchanged bool   `json:"unchanged"`
	// What the version holds and where it came from.
	FeatureCount int            `json:"feature_count"`
	CreatedAt    time.Time      `json:"created_at"`
	Source       string         `json:"source"`
	Provenance   map[string]any `json:"provenance"`
}

// layerGroup is a layer's versions, newest first.
type layerGroup struct {
	Name, Kind, Title string
	Versions          []layer
}

type deskLayersData struct {
	Groups   []layerGroup
	Problems []string
	Done     *layerDone
	MaxMiB   int
}

type layerDone struct {
	Name                        string
	Version, Features, Previous int
	Unchanged                   bool
}

// maxLayerUpload is what the API takes over HTTP; bigger files go through
// `minerights import`.
const maxLayerUpload = 8 << 20

func (p *pages) deskLayers(w http.ResponseWriter, r *http.Request) {
	v, ok := p.deskView(w, r, "图层")
	if !ok {
		return
	}
	d := deskLayersData{MaxMiB: maxLayerUpload >> 20}
	q := r.URL.Query()
	if q.Get("done") != "" {
		ver, _ := strconv.Atoi(q.Get("version"))
		n, _ := strconv.Atoi(q.Get("features"))
		prev, _ := strconv.Atoi(q.Get("previous"))
		d.Done = &layerDone{Name: q.Get("done"), Version: ver, Features: n, Previous: prev, Unchanged: q.Get("unchanged") == "1"}
	}
	p.showLayers(w, r, v, d, http.StatusOK)
}

func (p *pages) showLayers(w http.ResponseWriter, r *http.Request, v view, d deskLayersData, status int) {
	var list struct {
		Items []layer `json:"items"`
	}
	if code, msg := p.get(r, v.Me, "/api/v1/layers?all=true", &list); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	by := map[string]*layerGroup{}
	var names []string
	for _, l := range list.Items {
		g := by[l.Name]
		if g == nil {
			g = &layerGroup{Name: l.Name}
			by[l.Name] = g
			names = append(names, l.Name)
		}
		g.Versions = append(g.Versions, l)
	}
	sort.Strings(names)
	for _, n := range names {
		g := by[n]
		sort.Slice(g.Versions, func(i, j int) bool { return g.Versions[i].Version > g.Versions[j].Version })
		g.Kind, g.Title = g.Versions[0].Kind, g.Versions[0].Title
		d.Groups = append(d.Groups, *g)
	}
	v.Page = d
	p.render(w, "desk_layers", status, v)
}

var layerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

func (p *pages) deskLayerImport(w http.ResponseWriter, r *http.Request) {
	d := deskLayersData{MaxMiB: maxLayerUpload >> 20}
	f, ok := p.openDeskForm(w, r, "图层", maxLayerUpload+64<<10,
		fmt.Sprintf("文件过大：网页上传的图层文件不能超过 %d MiB；更大的文件请由系统管理员用 minerights import 命令导入。", maxLayerUpload>>20),
		func(v view, status int) { p.showLayers(w, r, v, d, status) })
	if !ok {
		return
	}
	name := strings.TrimSpace(r.FormValue("name"))
	if !layerName.MatchString(name) {
		f.show(http.StatusUnprocessableEntity, "图层名称须以小写英文字母开头，只含小写字母、数字和下划线，例如 redlines 或 railways。")
		return
	}
	data, status, fix := uploaded(r, maxLayerUpload, "请选择要上传的图层文件（GeoJSON 要素集合或国土 TXT）。",
		fmt.Sprintf("文件过大：网页上传的图层文件不能超过 %d MiB。", maxLayerUpload>>20))
	if fix != "" {
		f.show(status, fix)
		return
	}
	q := url.Values{}
	for _, k := range []string{"kind", "title", "source"} {
		if s := strings.TrimSpace(r.FormValue(k)); s != "" {
			q.Set(k, s)
		}
	}
	path := "/api/v1/layers/" + name + "/features"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	f.refused = listProblems(&d.Problems, func(loc, msg string) string { return featureWords(loc) + reasonWords(msg) },
		"图层未导入，当前版本保持不变：")
	var out struct {
		Layer    layer `json:"layer"`
		Features int   `json:"features"`
		Previous int   `json:"previous_version"`
	}
	if !f.sendFor(&out, http.MethodPost, path, rawBody{contentType: "application/geo+json", data: data}, http.StatusCreated, http.StatusOK) {
		return
	}
	q = url.Values{"done": {out.Layer.Name}, "version": {strconv.Itoa(out.Layer.Version)}, "features": {strconv.Itoa(out.Features)},
		"previous": {strconv.Itoa(out.Previous)}}
	if out.Layer.Unchanged {
		q.Set("unchanged", "1")
	}
	f.done("/desk/layers?" + q.Encode())
}
