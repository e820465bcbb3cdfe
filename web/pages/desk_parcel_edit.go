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
	var pc deskParcel
	v, _, ok := p.deskParcelView(w, r, "修改地块数据", &pc)
	if !ok {
		return
	}
	v.Page = editOf(pc)
	p.render(w, "desk_parcel_edit", http.StatusOK, v)
}

func (p *pages) deskParcelUpdate(w http.ResponseWriter, r *http.Request) {
	var e parcelEdit
	f, ok := p.openDeskForm(w, r, "修改地块数据", 64<<10, "", func(v view, status int) {
		v.Page = e
		p.render(w, "desk_parcel_edit", status, v)
	})
	if !ok {
		return
	}
	id, ok := f.pathID()
	if !ok {
		return
	}
	e = parcelEdit{ID: id, Name: strings.TrimSpace(r.PostFormValue("name")), Mineral: strings.TrimSpace(r.PostFormValue("mineral")),
		StatedKm2: strings.TrimSpace(r.PostFormValue("stated_km2")), PriceWan: strings.TrimSpace(r.PostFormValue("price_wan")),
		Method: strings.TrimSpace(r.PostFormValue("mining_method")), Life: strings.TrimSpace(r.PostFormValue("service_life")),
		Top: strings.TrimSpace(r.PostFormValue("top_m")), Bottom: strings.TrimSpace(r.PostFormValue("bottom_m"))}
	e.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	body := map[string]any{"name": e.Name, "mineral": e.Mineral}
	for k, val := range map[string]string{"stated_area_km2": e.StatedKm2, "mining_method": e.Method, "service_life_years": e.Life} {
		if val != "" {
			body[k] = val
		}
	}
	if fix := or(priceField(body, e.PriceWan), elevationField(body, e.Top, e.Bottom)); fix != "" {
		f.show(http.StatusUnprocessableEntity, fix)
		return
	}
	f.refused = func(rep *apiReply) string { return p.editRefused(r, f.v, &e, rep) }
	if _, ok := f.send(http.MethodPatch, fmt.Sprintf("/api/v1/parcels/%d", id), body,
		http.Header{"If-Match": {fmt.Sprintf(`"v%d"`, e.Version)}}, http.StatusOK); ok {
		f.done(fmt.Sprintf("/desk/parcels/%d?done=updated", id))
	}
}

// editRefused says why the API refused a parcel's new figures. When someone
// saved the parcel after this clerk opened the form, nothing was changed:
// the form shows what it is now beside what they typed, at its version.
func (p *pages) editRefused(r *http.Request, v view, e *parcelEdit, rep *apiReply) string {
	if rep.status != http.StatusPreconditionFailed {
		var pr problem
		_ = json.Unmarshal(rep.body.Bytes(), &pr)
		if len(pr.Errors) > 0 {
			return fieldWords(pr.Errors[0].Location) + reasonWords(pr.Errors[0].Message)
		}
		return chinese(rep.status, rep.body.Bytes())
	}
	var now deskParcel
	if code, _ := p.get(r, v.Me, fmt.Sprintf("/api/v1/parcels/%d", e.ID), &now); code == http.StatusOK {
		e.Current = &now
	}
	msg := fmt.Sprintf("未保存：您打开此页后，该地块已被他人修改（您看到的是第 %d 版", e.Version)
	if e.Current != nil {
		msg += fmt.Sprintf("，现在是第 %d 版", e.Current.Version)
		e.Version = e.Current.Version
	}
	return msg + "）。请对照下方的最新数据核对您的修改，确认后再次保存。"
}

// priceField puts a parcel form's starting price, in 万元, into body as the
// API takes it (元); it answers the words to correct a price that is not one.
func priceField(body map[string]any, wan string) string {
	if wan == "" {
		return ""
	}
	yuan, err := money.ParseWan(wan)
	if err != nil || yuan <= 0 {
		return "出让收益起始价：请输入以万元为单位的金额，例如 43586.65（最多四位小数）。"
	}
	body["starting_price_yuan"] = yuan
	return ""
}

// elevationField puts a parcel form's mining elevation range, in metres,
// into body: both ends or neither.
func elevationField(body map[string]any, top, bottom string) string {
	if top == "" && bottom == "" {
		return ""
	}
	t, err1 := strconv.ParseFloat(top, 64)
	b, err2 := strconv.ParseFloat(bottom, 64)
	if err1 != nil || err2 != nil {
		return "开采标高：请同时填写上限和下限（米，数字），或两者都不填。"
	}
	body["elevation"] = map[string]float64{"top_m": t, "bottom_m": b}
	return ""
}
