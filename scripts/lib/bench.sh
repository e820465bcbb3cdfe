# Shared by the bench scripts (bench-bids.sh, bench-room.sh, bench-citus.sh),
# which source it from the repository root.

# bench_rules FILE COUNTDOWN: writes the bench rules, the default rules with
# the periods shortened so that a round reaches timed bidding within a
# minute and a bid rate that does not refuse the load (each bidder bids a
# few times a second); COUNTDOWN is how long timed bidding waits for a bid.
bench_rules() {
	cat >"$1" <<YAML
name: bench
listing_period: {duration: 1s}
announcement_lead: {duration: 1s}
timed_bidding_delay: 1s
countdown: $2
min_bidders: {listing: 1, auction: 3, tender: 3}
confirmation_within: {duration: 3s}
publicity_start_within: {duration: 5s}
publicity_length: {duration: 10s}
bid_rate: {bids: 10, per: 1s}
allow_self_raise: false
YAML
}

# pooled_url URL: URL with the pool size the serve processes run with.
pooled_url() {
	local sep="?"
	[[ "$1" == *\?* ]] && sep="&"
	echo "$1${sep}pool_max_conns=32"
}

# wait_healthy PORT [TRIES [PAUSE]]: waits until the server on PORT answers
# /healthz, at most TRIES times PAUSE seconds (default 100 × 0.1); then
# goes on either way (the caller sees a dead server by other means).
wait_healthy() {
	local _
	for _ in $(seq 1 "${2:-100}"); do
		curl -fsS -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null && return 0
		sleep "${3:-0.1}"
	done
	return 0
}
