package pages

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"minerights/internal/money"
)

func urlQuery(s string) string { return url.QueryEscape(s) }

// parcelEdit is the form of a parcel's figures, with the version it was
// read at (sent back as If-Match).
type parcelEdit struct {
	ID                                                    int64
	Name, Mineral, StatedKm2, PriceWan, Method, Life, Top string
	Bottom                                                string
	Version                                               int
	// Current is the parcel as it is now, shown beside the clerk's values
	// when someone else changed it meanwhile.
	Current *deskParcel
}

func editOf(pc deskParcel) parcelEdit {
	e := parcelEdit{ID: pc.ID, Name: pc.Name, Mineral: pc.Mineral, StatedKm2: pc.Area.StatedKm2, Version: pc.Version}
	if pc.StartingPrice != nil {
		e.PriceWan = money.FormatWan(pc.StartingPrice.Yuan)
	}
	if pc.MiningMethod != nil {
		e.Method = *pc.MiningMethod
	}
	if pc.ServiceLifeYears != nil {
		e.Life = *pc.ServiceLifeYears
	}
	if pc.Elevation != nil {
		e.Top, e.Bottom = strconv.FormatFloat(pc.Elevation.TopM, 'f', -1, 64), strconv.FormatFloat(pc.Elevation.BottomM, 'f', -1, 64)
	}
	return e
}

func (p *pages) deskParcelEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	v, ok := p.deskView(w, r, "修改地块数据")
	if !ok {
		return
	}
	var pc deskParcel
	if code, msg := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d", id), &pc); code != http.StatusOK {
		p.fail(w, r, code, msg)
		return
	}
	v.Page = editOf(pc)
	p.render(w, "desk_parcel_edit", http.StatusOK, v)
}

func (p *pages) deskParcelUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		p.fail(w, r, http.StatusNotFound, statusWords[http.StatusNotFound])
		return
	}
	v, ok := p.deskView(w, r, "修改地块数据")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !p.checkCSRF(r, v.Me) {
		p.forbiddenCSRF(w, r)
		return
	}
	e := parcelEdit{ID: id, Name: strings.TrimSpace(r.PostFormValue("name")), Mineral: strings.TrimSpace(r.PostFormValue("mineral")),
		StatedKm2: strings.TrimSpace(r.PostFormValue("stated_km2")), PriceWan: strings.TrimSpace(r.PostFormValue("price_wan")),
		Method: strings.TrimSpace(r.PostFormValue("mining_method")), Life: strings.TrimSpace(r.PostFormValue("service_life")),
		Top: strings.TrimSpace(r.PostFormValue("top_m")), Bottom: strings.TrimSpace(r.PostFormValue("bottom_m"))}
	e.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	show := func(status int, msg string) {
		v.Error, v.Page = msg, e
		p.render(w, "desk_parcel_edit", status, v)
	}
	body := map[string]any{"name": e.Name, "mineral": e.Mineral}
	if e.StatedKm2 != "" {
		body["stated_area_km2"] = e.StatedKm2
	}
	if e.Method != "" {
		body["mining_method"] = e.Method
	}
	if e.Life != "" {
		body["service_life_years"] = e.Life
	}
	if e.PriceWan != "" {
		yuan, err := money.ParseWan(e.PriceWan)
		if err != nil || yuan <= 0 {
			show(http.StatusUnprocessableEntity, "出让收益起始价：请输入以万元为单位的金额，例如 43586.65（最多四位小数）。")
			return
		}
		body["starting_price_yuan"] = yuan
	}
	if e.Top != "" || e.Bottom != "" {
		top, err1 := strconv.ParseFloat(e.Top, 64)
		bottom, err2 := strconv.ParseFloat(e.Bottom, 64)
		if err1 != nil || err2 != nil {
			show(http.StatusUnprocessableEntity, "开采标高：请同时填写上限和下限（米，数字），或两者都不填。")
			return
		}
		body["elevation"] = map[string]float64{"top_m": top, "bottom_m": bottom}
	}
	rep := p.callWith(r, v.Me, http.MethodPatch, fmt.Sprintf("/api/v1/parcels/%d", id), body,
		http.Header{"If-Match": {fmt.Sprintf(`"v%d"`, e.Version)}})
	switch rep.status {
	case http.StatusOK:
		http.Redirect(w, r, fmt.Sprintf("/desk/parcels/%d?done=updated", id), http.StatusSeeOther)
	case http.StatusPreconditionFailed:
		// Someone saved the parcel after this clerk opened the form: nothing
		// was changed; show what it is now beside what they typed.
		var now deskParcel
		if code, _ := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d", id), &now); code == http.StatusOK {
			e.Current = &now
		}
		msg := fmt.Sprintf("未保存：您打开此页后，该地块已被他人修改（您看到的是第 %d 版", e.Version)
		if e.Current != nil {
			msg += fmt.Sprintf("，现在是第 %d 版", e.Current.Version)
			e.Version = e.Current.Version
		}
		show(http.StatusPreconditionFailed, msg+"）。请对照下方的最新数据核对您的修改，确认后再次保存。")
	default:
		var pr problem
		_ = json.Unmarshal(rep.body.Bytes(), &pr)
		msg := chinese(rep.status, rep.body.Bytes())
		if len(pr.Errors) > 0 {
			msg = fieldWords(pr.Errors[0].Location) + reasonWords(pr.Errors[0].Message)
		}
		show(rep.status, msg)
	}
}
