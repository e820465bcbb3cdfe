package registry

import "minerights/compliance"

// The rule book's types under the names the store's callers used before it
// moved to package compliance. They are aliases, not copies, kept only for
// the pages (web/pages), which still spell them registry.Report and so on;
// everything else says compliance.Report. Remove this file once the pages
// no longer use it.
type (
	// Rule is compliance.Rule.
	Rule = compliance.Rule
	// Settings is compliance.Settings.
	Settings = compliance.Settings
	// Subject is compliance.Subject.
	Subject = compliance.Subject
	// Hit is compliance.Hit.
	Hit = compliance.Hit
	// Check is compliance.Check.
	Check = compliance.Check
	// Report is compliance.Report.
	Report = compliance.Report
)

// Verdicts and effects, as in package compliance.
const (
	VerdictPass           = compliance.VerdictPass
	VerdictWarn           = compliance.VerdictWarn
	VerdictFail           = compliance.VerdictFail
	EffectExclude         = compliance.EffectExclude
	EffectSeparate3D      = compliance.EffectSeparate3D
	EffectWithinAny       = compliance.EffectWithinAny
	EffectWithinOwnCounty = compliance.EffectWithinOwnCounty
)
