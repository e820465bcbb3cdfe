package openapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"

	"minerights/registry"
)

// StreamLimits bound the live event streams of one process.
type StreamLimits struct {
	// PerAddress is how many streams one client address may hold (an IPv6
	// client counts by its /64); more are refused with 429. Zero means 64.
	PerAddress int
	// Total is how many streams the process holds; more are refused with
	// 503. Zero means 10,000.
	Total int
	// WriteTimeout is how long one write to a subscriber may block before
	// the stream is dropped (the subscriber resumes with Last-Event-ID).
	// A write holds one of the process's few writing slots, so this bounds
	// how long a stalled client can delay the others. Zero means 250 ms.
	WriteTimeout time.Duration
}

// streams counts the open streams per client address and in all, and
// refuses those over the limits before any database work.
type streams struct {
	perAddress   int
	total        int
	writeTimeout time.Duration

	mu     sync.Mutex
	open   int
	byAddr map[netip.Prefix]int

	// slots bounds how many streams write at once: a crowd woken by one
	// event would otherwise fill the scheduler's run queue ahead of the
	// bids (a runnable bid waited behind thousands of writers); waiting
	// for a slot, a stream is parked, not queued.
	slots chan struct{}

	gauge   prometheus.GaugeFunc
	refused *prometheus.CounterVec
}

func newStreams(l StreamLimits) *streams {
	st := &streams{perAddress: l.PerAddress, total: l.Total, writeTimeout: l.WriteTimeout, byAddr: map[netip.Prefix]int{}}
	if st.perAddress <= 0 {
		st.perAddress = 64
	}
	if st.total <= 0 {
		st.total = 10_000
	}
	if st.writeTimeout <= 0 {
		st.writeTimeout = 250 * time.Millisecond
	}
	st.slots = make(chan struct{}, runtime.GOMAXPROCS(0))
	st.gauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "minerights_sse_streams", Help: "Live event streams open in this process."},
		func() float64 { st.mu.Lock(); defer st.mu.Unlock(); return float64(st.open) })
	st.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "minerights_sse_refused_total", Help: "Live event streams refused: per_address (429) or total (503).",
	}, []string{"limit"})
	st.refused.WithLabelValues("per_address")
	st.refused.WithLabelValues("total")
	return st
}

// clientKey is the address a stream counts against: the IPv4 address, or
// the /64 of an IPv6 one (a single subscriber line is given a whole /64).
func clientKey(remote string) netip.Prefix {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, 32)
}

// acquire takes a slot for a stream from remote, or returns the problem
// that refuses it; release gives the slot back.
func (st *streams) acquire(remote string) (release func(), err error) {
	k := clientKey(remote)
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.byAddr[k] >= st.perAddress:
		st.refused.WithLabelValues("per_address").Inc()
		return nil, huma.ErrorWithHeaders(huma.Error429TooManyRequests(fmt.Sprintf(
			"此地址已打开 %d 个实时事件流，达到上限：请关闭不用的页面或连接后重试（too many live event streams from this address）", st.byAddr[k])),
			http.Header{"Retry-After": {"10"}})
	case st.open >= st.total:
		st.refused.WithLabelValues("total").Inc()
		return nil, huma.ErrorWithHeaders(huma.Error503ServiceUnavailable(fmt.Sprintf(
			"本服务器的实时事件流已满（%d 个）：请稍后重试，或改用其他服务器（this server holds its most live event streams）", st.total)),
			http.Header{"Retry-After": {strconv.Itoa(5)}})
	}
	st.open++
	st.byAddr[k]++
	var once sync.Once
	return func() {
		once.Do(func() {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.open--
			if st.byAddr[k]--; st.byAddr[k] <= 0 {
				delete(st.byAddr, k)
			}
		})
	}, nil
}

// collectors are the stream metrics: streams open and refused here, and
// the fan-out's subscribers, reads and cut-offs.
func (st *streams) collectors(ev *registry.Events) []prometheus.Collector {
	stat := func(f func(registry.EventsStats) float64) func() float64 {
		return func() float64 { return f(ev.Stats()) }
	}
	counter := func(name, help string, f func(registry.EventsStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, stat(f))
	}
	return []prometheus.Collector{
		st.gauge, st.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "minerights_sse_rooms", Help: "Sales with live subscribers in this process."},
			stat(func(s registry.EventsStats) float64 { return float64(s.Rooms) })),
		counter("minerights_sse_reads_total", "Database reads of new audit entries by the fan-out (one per sale per wake-up, whatever the subscribers).",
			func(s registry.EventsStats) float64 { return float64(s.Reads) }),
		counter("minerights_sse_entries_total", "Audit entries read by the fan-out.",
			func(s registry.EventsStats) float64 { return float64(s.Entries) }),
		counter("minerights_sse_encodes_total", "Audit entries encoded for a view (once per entry and view).",
			func(s registry.EventsStats) float64 { return float64(s.Encodes) }),
		counter("minerights_sse_cutoffs_total", "Subscribers disconnected for falling too far behind (they resume with Last-Event-ID).",
			func(s registry.EventsStats) float64 { return float64(s.Cutoffs) }),
		counter("minerights_sse_replay_reads_total", "Database reads by streams resumed from before what is in memory.",
			func(s registry.EventsStats) float64 { return float64(s.Replays) }),
	}
}
