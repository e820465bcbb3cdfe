// Package flood is the anonymous public-read load of the capacity tests and
// of `make bench-bids`: clients that loop one costly GET, each from an
// address of its own.
package flood

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Run starts n clients looping GET path on the servers (round robin) until
// stop closes. Each sends X-Forwarded-For with an address of its own, so a
// server that trusts this host as a proxy counts them as n clients. A
// client that gets no 200 pauses 100 ms before its next request. The
// returned function waits for the clients and gives the count of answers
// by status (0: no answer).
func Run(servers []string, n int, path string, stop <-chan struct{}) (wait func() map[int]int) {
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 60 * time.Second}
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				req, err := http.NewRequest("GET", servers[(i+k)%len(servers)]+path, nil)
				if err != nil {
					return
				}
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", 1+i/65536, (i/256)%256, i%256))
				status := 0
				if res, err := c.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					status = res.StatusCode
				}
				mu.Lock()
				counts[status]++
				mu.Unlock()
				if status != http.StatusOK {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	return func() map[int]int {
		wg.Wait()
		return counts
	}
}
