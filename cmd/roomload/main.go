// Command roomload is the watcher side of `make bench-room`: it opens N live
// event streams of one sale (GET /api/v1/sales/{id}/events), spread over
// one or more servers, anonymous or signed in with the bidders' tokens of a
// bidload plan, and times every bid-accepted event on arrival against the
// bid's database time (the event's bid.at, stamped by the database clock
// in the bid's transaction; client and database share the machine's
// clock). A stream that ends resumes with Last-Event-ID, as a browser does.
//
// It prints "ready" on stdout once every stream has its snapshot, measures
// until SIGINT or SIGTERM (or -d), waits up to -drain until every stream
// has the last event, and prints one result line: streams, events,
// delivery p50/p99/max, events missed (ids a stream skipped), duplicates,
// streams still short of the last event after the drain, reconnects.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "roomload:", err)
		os.Exit(1)
	}
}

// histogram counts delivery delays in 100 µs buckets up to a minute.
type histogram struct {
	buckets []atomic.Int64
	max     atomic.Int64 // µs
	n       atomic.Int64
}

const bucketUS = 100

func newHistogram() *histogram {
	return &histogram{buckets: make([]atomic.Int64, 60_000_000/bucketUS+1)}
}

func (h *histogram) add(d time.Duration) {
	us := max(d.Microseconds(), 0)
	h.buckets[min(us/bucketUS, int64(len(h.buckets)-1))].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// quantile returns the q-quantile in milliseconds.
func (h *histogram) quantile(q float64) float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	want := int64(float64(n) * q)
	var seen int64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen > want {
			return float64((int64(i)+1)*bucketUS) / 1000
		}
	}
	return float64(h.max.Load()) / 1000
}

type plan struct {
	Sales []struct {
		ID int64 `json:"id"`
	} `json:"sales"`
	Bidders []struct {
		Token string `json:"token"`
	} `json:"bidders"`
}

// stream is one watcher's view of the sale's sequence.
type stream struct {
	last    int64 // last id received
	started bool
	missed  int64
	dups    int64
}

func run() error {
	urls := flag.String("urls", "http://127.0.0.1:8080", "comma-separated server base URLs; streams are spread over them")
	planFile := flag.String("plan", "plan.json", "bidload plan: the sale (its first) and, with -signed, the bidders' tokens")
	n := flag.Int("n", 1000, "streams to open")
	signed := flag.Bool("signed", false, "sign every stream in with a bidder's token (round robin)")
	dur := flag.Duration("d", time.Hour, "measure at most this long (SIGINT/SIGTERM end it sooner)")
	drain := flag.Duration("drain", time.Minute, "how long to wait for every stream to receive the last events after the end")
	label := flag.String("label", "watchers", "label of the result line")
	flag.Parse()
	b, err := os.ReadFile(*planFile)
	if err != nil {
		return err
	}
	var p plan
	if err := json.Unmarshal(b, &p); err != nil || len(p.Sales) == 0 {
		return fmt.Errorf("plan %s: %v", *planFile, err)
	}
	sale := p.Sales[0].ID
	servers := strings.Split(*urls, ",")
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     0,
		MaxIdleConnsPerHost: -1,
		DisableCompression:  true,
	}
	client := &http.Client{Transport: tr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	streamCtx, cancelStreams := context.WithCancel(context.Background())
	defer cancelStreams()

	hist := newHistogram()
	ats := &atCache{}
	var events, reconnects, refused atomic.Int64
	var measuring atomic.Bool
	var ready sync.WaitGroup
	var done sync.WaitGroup
	states := make([]stream, *n)
	var maxSeen atomic.Int64
	for i := range *n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			st := &states[i]
			first := true
			markReady := func() {
				if first {
					first = false
					ready.Done()
				}
			}
			defer markReady()
			url := fmt.Sprintf("%s/api/v1/sales/%d/events", servers[i%len(servers)], sale)
			token := ""
			if *signed && len(p.Bidders) > 0 {
				token = p.Bidders[i%len(p.Bidders)].Token
			}
			for streamCtx.Err() == nil {
				req, _ := http.NewRequestWithContext(streamCtx, "GET", url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				if st.started {
					req.Header.Set("Last-Event-ID", strconv.FormatInt(st.last, 10))
				}
				res, err := client.Do(req)
				if err != nil {
					if streamCtx.Err() == nil {
						reconnects.Add(1)
						time.Sleep(500 * time.Millisecond)
					}
					continue
				}
				if res.StatusCode != 200 {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					refused.Add(1)
					time.Sleep(time.Second)
					continue
				}
				read(res.Body, func(id int64, kind, data []byte, now time.Time) {
					if string(kind) == "snapshot" {
						if !st.started {
							st.started = true
							atomic.StoreInt64(&st.last, id)
						}
						markReady()
						return
					}
					switch {
					case !st.started:
						st.started = true
						atomic.StoreInt64(&st.last, id)
					case id == st.last+1:
						atomic.StoreInt64(&st.last, id)
					case id <= st.last:
						st.dups++
						return
					default:
						st.missed += id - st.last - 1
						atomic.StoreInt64(&st.last, id)
					}
					for {
						m := maxSeen.Load()
						if id <= m || maxSeen.CompareAndSwap(m, id) {
							break
						}
					}
					if string(kind) == "bid-accepted" && measuring.Load() {
						// The event's "at" is the bid's database time; it
						// is cut out rather than decoded, once per event
						// for all the streams, so that the watcher's own
						// parsing stays small beside the servers'.
						if at, ok := ats.get(id, data); ok {
							hist.add(now.Sub(time.Unix(0, at)))
							events.Add(1)
						}
					}
				})
				res.Body.Close()
				if streamCtx.Err() == nil {
					reconnects.Add(1)
				}
			}
		}()
	}
	t0 := time.Now()
	allReady := make(chan struct{})
	go func() { ready.Wait(); close(allReady) }()
	select {
	case <-allReady:
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("not every stream had its snapshot after 5 minutes (%d refused)", refused.Load())
	case <-ctx.Done():
		return ctx.Err()
	}
	fmt.Fprintf(os.Stderr, "roomload: %d streams open in %s\n", *n, time.Since(t0).Round(time.Millisecond))
	measuring.Store(true)
	fmt.Println("ready")
	select {
	case <-ctx.Done():
	case <-time.After(*dur):
	}
	// The last events are still on their way: wait (up to -drain) until
	// every stream has reached the last id any stream has seen. A stream
	// still short of it then is late, not missing anything: what it did
	// receive has no gap.
	time.Sleep(time.Second)
	head := maxSeen.Load()
	behind := func() (n int64) {
		for i := range states {
			if atomic.LoadInt64(&states[i].last) < head {
				n++
			}
		}
		return n
	}
	for end := time.Now().Add(*drain); behind() > 0 && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	measuring.Store(false)
	cancelStreams()
	done.Wait()
	var missed, dups, late int64
	for i := range states {
		st := &states[i]
		missed += st.missed
		dups += st.dups
		if st.started && st.last < head {
			late++
		}
	}
	fmt.Printf("%s\tstreams=%d\tbid_events=%d\tdelivery_p50_ms=%.1f\tdelivery_p99_ms=%.1f\tdelivery_max_ms=%.1f\tmissed=%d\tduplicates=%d\tlate_streams=%d\treconnects=%d\trefused=%d\n",
		*label, *n, events.Load(), hist.quantile(0.50), hist.quantile(0.99), float64(hist.max.Load())/1000, missed, dups, late, reconnects.Load(), refused.Load())
	return nil
}

// eventAt returns the first "at" of an event's JSON: SaleEvent's own, which
// for a bid is the bid's time.
func eventAt(data []byte) (time.Time, bool) {
	i := bytes.Index(data, []byte(`"at":"`))
	if i < 0 {
		return time.Time{}, false
	}
	rest := data[i+6:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t, err == nil
}

// atCache holds the bid times of the latest events by id, so that each is
// parsed once, not once per stream: a seqlock per slot (the id is stored
// last and checked again after the time is read).
type atCache struct {
	seq [4096]atomic.Int64
	at  [4096]atomic.Int64
}

func (c *atCache) get(id int64, data []byte) (int64, bool) {
	i := id & (int64(len(c.seq)) - 1)
	if c.seq[i].Load() == id {
		if at := c.at[i].Load(); c.seq[i].Load() == id {
			return at, true
		}
	}
	t, ok := eventAt(data)
	if !ok {
		return 0, false
	}
	c.seq[i].Store(-1)
	c.at[i].Store(t.UnixNano())
	c.seq[i].Store(id)
	return t.UnixNano(), true
}

// read parses Server-Sent Events from r until it ends, calling f for each
// with the time of the read that completed it (one clock reading per read,
// not per event: the events of one read arrived together). kind and data
// are only valid during the call.
func read(r io.Reader, f func(id int64, kind, data []byte, now time.Time)) {
	buf := make([]byte, 8<<10)
	off := 0
	for {
		if off == len(buf) { // an event larger than the buffer
			buf = append(buf, make([]byte, len(buf))...)
		}
		n, err := r.Read(buf[off:])
		if n > 0 {
			off += n
			used := parse(buf[:off], time.Now(), f)
			off = copy(buf, buf[used:off])
		}
		if err != nil {
			return
		}
	}
}

// parse calls f for each complete event in b and returns how many bytes
// they take.
func parse(b []byte, now time.Time, f func(id int64, kind, data []byte, now time.Time)) int {
	used := 0
	for {
		end := bytes.Index(b[used:], []byte("\n\n"))
		if end < 0 {
			return used
		}
		block := b[used : used+end+1]
		used += end + 2
		var id int64
		var kind, data []byte
		for len(block) > 0 {
			line := block
			if j := bytes.IndexByte(block, '\n'); j >= 0 {
				line, block = block[:j], block[j+1:]
			} else {
				block = nil
			}
			line = bytes.TrimSuffix(line, []byte("\r"))
			switch {
			case bytes.HasPrefix(line, []byte("id: ")):
				id, _ = strconv.ParseInt(string(line[4:]), 10, 64)
			case bytes.HasPrefix(line, []byte("event: ")):
				kind = line[7:]
			case bytes.HasPrefix(line, []byte("data: ")):
				data = line[6:]
			}
		}
		if len(kind) > 0 {
			f(id, kind, data, now)
		}
	}
}
