package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The server metrics a report shows (Prometheus names, unlabelled).
const (
	MetricRSS        = "process_resident_memory_bytes"
	MetricHeapInuse  = "go_memstats_heap_inuse_bytes"
	MetricCPUSeconds = "process_cpu_seconds_total"
	MetricGoroutines = "go_goroutines"
)

var scrapedMetrics = []string{MetricRSS, MetricHeapInuse, MetricCPUSeconds, MetricGoroutines}

// Sample is the value of some unlabelled Prometheus metrics at one moment,
// by name; a metric the server does not export is absent.
type Sample map[string]float64

// Scrape fetches url (a Prometheus text exposition, such as roam's
// /metrics) and returns the metrics a report uses.
func Scrape(ctx context.Context, client *http.Client, url string) (Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body, scrapedMetrics)
}

// parseMetrics reads the unlabelled samples of names from a Prometheus
// text exposition.
func parseMetrics(r io.Reader, names []string) (Sample, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := Sample{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || !want[fields[0]] {
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", fields[0], err)
		}
		out[fields[0]] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
