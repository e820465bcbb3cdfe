package openapi

import (
	"testing"
	"time"

	"minerights/compliance"
	"minerights/internal/wiretest"
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
	// The rule book's types, every field filled by reflection, so that a
	// field added to them later is filled too.
	rep, rule, st := wiretest.Filled[compliance.Report](), wiretest.Filled[compliance.Rule](), wiretest.Filled[compliance.Settings]()
	acc, layer, notice, bidder := wiretest.Filled[registry.Account](), wiretest.Filled[registry.Layer](), wiretest.Filled[registry.Notice](), wiretest.Filled[registry.Bidder]()
	reserve, capacity, deposit := wiretest.Filled[registry.Reserve](), wiretest.Filled[registry.Capacity](), wiretest.Filled[registry.DepositEntry]()
	contract, audit, cp := wiretest.Filled[registry.Contract](), wiretest.Filled[registry.AuditReport](), wiretest.Filled[registry.Checkpoint]()
	for _, tc := range []struct {
		name       string
		store, api any
	}{
		{"Account", a, accountOf(a)},
		{"CalendarYear", y, calendarYearOf(y)},
		{"CalendarVersion", v, calendarVersionsOf([]registry.CalendarVersion{v})[0]},
		{"Report", rep, reportOf(rep)},
		{"Report without checks", compliance.Report{}, reportOf(compliance.Report{})},
		{"Check without hits", compliance.Check{}, checkOf(compliance.Check{})},
		{"Rule", rule, ruleOf(rule)},
		{"Settings", st, settingsOf(st)},
		{"Account, filled", acc, accountOf(acc)},
		{"Layer", layer, layerOf(layer)},
		{"Notice", notice, noticeOf(notice)},
		{"Bidder", bidder, bidderRecordOf(bidder)},
		{"Reserve", reserve, reserveOf(reserve)},
		{"Capacity", capacity, capacityOf(capacity)},
		{"DepositEntry", deposit, depositEntryOf(deposit)},
		{"Contract", contract, contractOf(contract)},
		{"AuditReport", audit, auditReportOf(audit)},
		{"Checkpoint", cp, checkpointOf(cp)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wiretest.SameJSON(t, tc.store, tc.api)
		})
	}
}
