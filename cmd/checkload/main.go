// Command checkload is the load driver of `make bench-compliance`: it sends
// what-if compliance checks of the 11 gazette parcels to a running server
// for a fixed time from a number of concurrent clients, and prints checks
// per second and the latency percentiles.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "checkload:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("checkload", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL")
	token := fs.String("token", os.Getenv("MINERIGHTS_TOKEN"), "bearer token (bureau or planner)")
	conc := fs.Int("c", 1, "concurrent clients")
	dur := fs.Duration("d", 20*time.Second, "duration")
	warm := fs.Duration("warmup", 3*time.Second, "warm-up before measuring")
	label := fs.String("label", "", "row label")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bodies, err := parcelBodies(*base)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2}, Timeout: 30 * time.Second}
	check := func(i int) (time.Duration, error) {
		req, _ := http.NewRequest(http.MethodPost, *base+"/api/v1/compliance/check", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+*token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
		}
		return time.Since(start), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), *warm+*dur)
	defer cancel()
	measureFrom := time.Now().Add(*warm)
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var firstErr error
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += *conc {
				d, err := check(i)
				if ctx.Err() != nil {
					return
				}
				if time.Now().Before(measureFrom) {
					continue
				}
				mu.Lock()
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(lat) == 0 {
		return fmt.Errorf("no successful checks: %v", firstErr)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	fmt.Fprintf(out, "%s\tclients=%d\tchecks=%d\terrors=%d\tchecks/s=%.1f\tp50_ms=%.2f\tp99_ms=%.2f\n",
		*label, *conc, len(lat), errs, float64(len(lat))/dur.Seconds(), pct(0.50), pct(0.99))
	if errs > 0 {
		return fmt.Errorf("%d errors, first: %v", errs, firstErr)
	}
	return nil
}

// parcelBodies builds one what-if request per gazette parcel from the
// server's own parcel list.
func parcelBodies(base string) ([][]byte, error) {
	resp, err := http.Get(base + "/api/v1/parcels?geometry=true")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			County struct {
				Code string `json:"code"`
			} `json:"county"`
			Mineral   string          `json:"mineral"`
			Geometry  json.RawMessage `json:"geometry"`
			Elevation json.RawMessage `json:"elevation"`
			Area      struct {
				Stated string `json:"stated_km2"`
			} `json:"area"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	var out [][]byte
	for _, p := range list.Items {
		body := map[string]any{"geometry": p.Geometry, "county_code": p.County.Code, "mineral": p.Mineral, "stated_area_km2": p.Area.Stated}
		if len(p.Elevation) > 0 && string(p.Elevation) != "null" {
			body["elevation"] = p.Elevation
		}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the server lists no parcels")
	}
	return out, nil
}
