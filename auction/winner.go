package auction

// Winner re-derives a sale's outcome from its accepted bids alone, as an auditor holding the
// log would: each bidder's last bid counts (an amended tender replaces the earlier one; in
// ascending bidding the last is also the highest), the highest amount wins, and a tie goes to
// the earlier bid (lower Seq). floor is the revealed reserve, or the starting price where no
// reserve was set.
//
// The minimum number of bidders is checked against the bidders who bid, which is how 挂牌 and
// 招标 count them. A 拍卖 counts qualified bidders when it is due to start, which the bids do
// not show, so for an auction that count is not checked here.
func Winner(bids []Bid, method Method, floor int64, rules Rules) Outcome {
	last := map[string]Bid{}
	for _, b := range bids {
		if cur, ok := last[b.Bidder]; !ok || b.Seq > cur.Seq {
			last[b.Bidder] = b
		}
	}
	var best Bid
	for _, b := range last {
		if best.Seq == 0 || b.Amount > best.Amount || (b.Amount == best.Amount && b.Seq < best.Seq) {
			best = b
		}
	}
	switch {
	case best.Seq == 0:
		return Outcome{Reason: FailNoBids}
	case method != MethodAuction && len(last) < rules.MinBidders.For(method):
		return Outcome{Best: best, Reason: FailTooFewBidders}
	case best.Amount < floor:
		return Outcome{Best: best, Reason: FailBelowReserve}
	}
	return Outcome{Sold: true, Best: best}
}
