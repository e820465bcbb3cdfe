package openapi

import (
	"encoding/json"
	"testing"
	"time"

	"minerights/registry"
)

// TestWireTypesSayWhatTheStoreSays: each wire type reads, in JSON, exactly
// as the store's type it is made from, every field filled: a field the
// store gains and the converter forgets fails here.
func TestWireTypesSayWhatTheStoreSays(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	s := func(v string) *string { return &v }
	y := registry.CalendarYear{Year: 2027, Origin: registry.CalendarFromDatabase, Version: 2, Source: "国务院办公厅通知", Holidays: 7,
		LoadedAt: &at, LoadedBy: "bureau#1", SHA256: "ab12", ReplacesFile: true}
	v := registry.CalendarVersion{CalendarYear: y, Current: true, ReplacedAt: &at, Document: "year: 2027"}
	a := registry.Account{ID: 7, Login: "a@example.cn", Role: "bidder", Name: "张三", Phone: s("0396-1234567"),
		Bidder:     &registry.Bidder{ID: 3, Name: "甲公司", CreditCode: s("91411726MA9FXXXX1X"), CreatedAt: at},
		ApprovedAt: &at, ApprovedBy: s("bureau#1"), DisabledAt: &at, CreatedAt: at}
	for _, tc := range []struct {
		name       string
		store, api any
	}{
		{"Account", a, accountOf(a)},
		{"CalendarYear", y, calendarYearOf(y)},
		{"CalendarVersion", v, calendarVersionsOf([]registry.CalendarVersion{v})[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := json.Marshal(tc.store)
			got, _ := json.Marshal(tc.api)
			if string(got) != string(want) {
				t.Errorf("the API writes\n%s\nthe store has\n%s", got, want)
			}
		})
	}
}
