// Package auction holds the rules for transferring a mining right (采矿权出让) as a pure
// state machine.
//
// A Sale is a value. Every transition is a method that takes the authoritative time as a
// parameter and returns the next Sale, the Events that happened, and an error; on error the
// returned Sale is the receiver, unchanged, and no event is returned. Nothing here reads a
// clock, a database or a file: the registry locks the sale row, calls a transition with the
// database's clock, stores the result and appends the events to the audit log.
//
// Time-driven changes (applications opening, the listing closing, timed bidding starting, a
// countdown expiring, tenders being opened) happen in Tick, which is idempotent; NextDeadline
// tells a scheduler when to call it. Every other transition applies Tick(now) first, so a
// scheduler that runs late never changes an outcome: a bid that arrives after a countdown
// expired is refused even if nobody has ticked yet.
//
// Durations and counts come from Rules (data/rules/*.yaml). Working days come from a Calendar
// (ParseCalendar: one document per year, from data/calendar/*.yaml or loaded by the bureau)
// and are counted in China Standard Time.
//
// A Sale carries confidential data: bidder identities until the sale closes, and the reserve
// (底价) with its salt until it is revealed at close. The package records them; keeping them
// from the public and from other bidders is the caller's job.
package auction
