package openapi

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"minerights/auction"
	"minerights/internal/money"
	"minerights/registry"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

func dateCN(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(cst)
	return fmt.Sprintf("%d年%d月%d日 %02d时%02d分%02d秒", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
}

var methodNames = map[auction.Method]string{
	auction.MethodListing: "挂牌",
	auction.MethodAuction: "拍卖",
	auction.MethodTender:  "招标",
}

var reasonNames = map[auction.FailReason]string{
	auction.FailNoBids:        "无有效报价",
	auction.FailTooFewBidders: "竞买人不足",
	auction.FailBelowReserve:  "最高报价低于底价",
}

// ConfirmationLetter is the 成交确认书: the winner, the parcel and the
// price in figures and in capital numerals.
type ConfirmationLetter struct {
	Number            string    `json:"number" doc:"Letter number"`
	SaleID            int64     `json:"sale_id"`
	ParcelID          int64     `json:"parcel_id"`
	ParcelName        string    `json:"parcel_name"`
	County            string    `json:"county"`
	Mineral           string    `json:"mineral"`
	AreaKm2           string    `json:"area_km2"`
	Method            string    `json:"method"`
	MethodName        string    `json:"method_name" example:"挂牌"`
	Winner            BidderRef `json:"winner"`
	CreditCode        string    `json:"credit_code,omitempty"`
	Paddle            int       `json:"paddle"`
	WinningSeq        int64     `json:"winning_seq"`
	Price             Price     `json:"price" doc:"成交价: 元, 万元 and 大写"`
	StartingPrice     Price     `json:"starting_price"`
	Deposit           Price     `json:"deposit" doc:"The winner's deposit, credited to the price"`
	ClosedAt          time.Time `json:"closed_at"`
	IssuedAt          time.Time `json:"issued_at"`
	ReserveCommitment string    `json:"reserve_commitment,omitempty"`
	Issuer            string    `json:"issuer"`
}

// ResultNotice is the public result of a sale (结果公示).
type ResultNotice struct {
	SaleID            int64      `json:"sale_id"`
	ParcelID          int64      `json:"parcel_id"`
	ParcelName        string     `json:"parcel_name"`
	County            string     `json:"county"`
	Mineral           string     `json:"mineral"`
	Method            string     `json:"method"`
	MethodName        string     `json:"method_name"`
	Round             int        `json:"round"`
	StartingPrice     Price      `json:"starting_price"`
	ClosedAt          time.Time  `json:"closed_at"`
	Bids              int        `json:"bids"`
	Sold              bool       `json:"sold"`
	Reason            string     `json:"reason,omitempty"`
	Winner            *BidderRef `json:"winner,omitempty"`
	Paddle            int        `json:"paddle,omitempty"`
	Price             *Price     `json:"price,omitempty"`
	ReserveCommitment string     `json:"reserve_commitment,omitempty"`
	Reserve           *int64     `json:"reserve,omitempty" doc:"Revealed reserve, 元"`
	ReserveSalt       string     `json:"reserve_salt,omitempty"`
	PublicityEnd      *time.Time `json:"publicity_end"`
}

const issuer = "自然资源和规划局"

func (s *server) confirmation(ctx context.Context, id int64) (ConfirmationLetter, error) {
	var l ConfirmationLetter
	if err := s.winnerOrBureau(ctx, id); err != nil {
		return l, err
	}
	sl, err := s.store.GetSale(ctx, id)
	if err != nil {
		return l, err
	}
	m := sl.Machine
	if m.ConfirmedAt.IsZero() {
		return l, huma.Error409Conflict("the confirmation letter has not been issued: the sale is " + string(m.State))
	}
	p, err := s.store.GetParcel(ctx, sl.ParcelID)
	if err != nil {
		return l, err
	}
	w := sl.Bidders[m.High.Bidder]
	var deposit int64
	if pt, ok := m.Participant(m.High.Bidder); ok {
		deposit = pt.Deposit
	}
	l = ConfirmationLetter{
		Number: fmt.Sprintf("CJQR-%d-%d-%d", m.ConfirmedAt.In(cst).Year(), sl.ID, sl.Round),
		SaleID: sl.ID, ParcelID: p.ID, ParcelName: p.Name, County: p.CountyName, Mineral: p.Mineral, AreaKm2: p.StatedAreaKm2,
		Method: string(m.Method), MethodName: methodNames[m.Method],
		Winner: BidderRef{ID: w.ID, Name: w.Name}, Paddle: m.High.Paddle, WinningSeq: int64(m.High.Seq),
		Price: *priceOf(m.High.Amount), StartingPrice: *priceOf(m.Terms.StartingPrice), Deposit: *priceOf(deposit),
		ClosedAt: m.ClosedAt, IssuedAt: m.ConfirmedAt, ReserveCommitment: m.Reserve.Commitment, Issuer: issuer,
	}
	if w.CreditCode != nil {
		l.CreditCode = *w.CreditCode
	}
	return l, nil
}

func (s *server) result(ctx context.Context, id int64) (ResultNotice, error) {
	var r ResultNotice
	sl, _, err := s.visibleSale(ctx, id)
	if err != nil {
		return r, err
	}
	m := sl.Machine
	o, ok := m.Result()
	if !ok {
		return r, huma.Error409Conflict("the sale has not closed: it is " + string(m.State))
	}
	p, err := s.store.GetParcel(ctx, sl.ParcelID)
	if err != nil {
		return r, err
	}
	r = ResultNotice{
		SaleID: sl.ID, ParcelID: p.ID, ParcelName: p.Name, County: p.CountyName, Mineral: p.Mineral,
		Method: string(m.Method), MethodName: methodNames[m.Method], Round: sl.Round,
		StartingPrice: *priceOf(m.Terms.StartingPrice), ClosedAt: m.ClosedAt, Bids: m.BidCount,
		Sold: o.Sold, Reason: string(o.Reason), ReserveCommitment: m.Reserve.Commitment, PublicityEnd: tp(m.PublicityEnd),
	}
	if o.Sold {
		r.Winner, r.Paddle, r.Price = ref(sl, o.Best.Bidder), o.Best.Paddle, priceOf(o.Best.Amount)
	}
	if m.Reserve.Revealed {
		a := m.Reserve.Amount
		r.Reserve, r.ReserveSalt = &a, fmt.Sprintf("%x", m.Reserve.Salt)
	}
	return r, nil
}

func render(name string, v any) (*htmlOut, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, v); err != nil {
		return nil, fmt.Errorf("openapi: render %s: %w", name, err)
	}
	return &htmlOut{ContentType: "text/html; charset=utf-8", Body: buf.Bytes()}, nil
}

type htmlOut struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func htmlResponses() map[string]*huma.Response {
	return map[string]*huma.Response{"200": {
		Description: "A printable HTML page",
		Content:     map[string]*huma.MediaType{"text/html": {Schema: &huma.Schema{Type: huma.TypeString}}},
	}}
}

func figures(yuan int64) string { return money.FromYuan(yuan).String() }

func (s *server) registerDocuments(api huma.API) {
	type letterOut struct{ Body ConfirmationLetter }
	register(api, huma.Operation{
		OperationID: "get-confirmation",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/confirmation",
		Summary:     "The confirmation letter (成交确认书)",
		Description: "For the bureau and the winner, once issued. The price is given in 元, in 万元 and in capital numerals (大写).",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, roles(registry.RoleBureau, registry.RoleBidder), func(ctx context.Context, in *saleIDIn) (*letterOut, error) {
		l, err := s.confirmation(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &letterOut{Body: l}, nil
	})
	register(api, huma.Operation{
		OperationID: "get-confirmation-html",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/confirmation.html",
		Summary:     "The confirmation letter as a printable page",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
		Responses:   htmlResponses(),
	}, roles(registry.RoleBureau, registry.RoleBidder), func(ctx context.Context, in *saleIDIn) (*htmlOut, error) {
		l, err := s.confirmation(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return render("confirmation.html", map[string]any{
			"Number": l.Number, "ParcelName": l.ParcelName, "County": l.County, "Mineral": l.Mineral, "AreaKm2": l.AreaKm2,
			"MethodName": l.MethodName, "WinnerName": l.Winner.Name, "CreditCode": l.CreditCode, "Paddle": l.Paddle,
			"PriceFigures": figures(l.Price.Yuan), "PriceWan": l.Price.WanYuan, "PriceCapital": l.Price.Capital,
			"StartingFigures": figures(l.StartingPrice.Yuan), "StartingCapital": l.StartingPrice.Capital,
			"DepositFigures": figures(l.Deposit.Yuan), "ClosedAtCN": dateCN(l.ClosedAt), "WinningSeq": l.WinningSeq,
			"ReserveCommitment": l.ReserveCommitment, "Issuer": l.Issuer, "IssuedAtCN": dateCN(l.IssuedAt),
		})
	})

	type saleResultOut struct{ Body ResultNotice }
	register(api, huma.Operation{
		OperationID: "get-sale-result",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/result",
		Summary:     "The result notice of a closed sale (结果公示)",
		Description: "Public once bidding has closed: the winner and the price in figures and capital numerals, or why the sale failed, and the revealed reserve with its salt so that anyone can check the commitment.",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, public, func(ctx context.Context, in *saleIDIn) (*saleResultOut, error) {
		r, err := s.result(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &saleResultOut{Body: r}, nil
	})
	register(api, huma.Operation{
		OperationID: "get-sale-result-html",
		Method:      http.MethodGet,
		Path:        "/api/v1/sales/{id}/result.html",
		Summary:     "The result notice as a printable page",
		Tags:        []string{"sales"},
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
		Responses:   htmlResponses(),
	}, public, func(ctx context.Context, in *saleIDIn) (*htmlOut, error) {
		r, err := s.result(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		v := map[string]any{
			"ParcelName": r.ParcelName, "County": r.County, "Mineral": r.Mineral, "MethodName": r.MethodName, "Round": r.Round,
			"StartingFigures": figures(r.StartingPrice.Yuan), "StartingCapital": r.StartingPrice.Capital,
			"ClosedAtCN": dateCN(r.ClosedAt), "Bids": r.Bids, "Sold": r.Sold, "ReasonCN": reasonNames[auction.FailReason(r.Reason)],
			"ReserveCommitment": r.ReserveCommitment, "ReserveSalt": r.ReserveSalt, "PublicityEndCN": "",
		}
		if r.PublicityEnd != nil {
			v["PublicityEndCN"] = dateCN(*r.PublicityEnd)
		}
		if r.Reserve != nil {
			v["ReserveFigures"] = figures(*r.Reserve)
		}
		if r.Sold {
			v["WinnerName"], v["Paddle"] = r.Winner.Name, r.Paddle
			v["PriceFigures"], v["PriceWan"], v["PriceCapital"] = figures(r.Price.Yuan), r.Price.WanYuan, r.Price.Capital
		}
		return render("result.html", v)
	})
}
