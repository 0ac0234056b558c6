package loadgen

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// syntheticReport is a run of 1000 requests in 2 s from two workers: 990
// successes taking 1..990 µs, 6 throttled, 3 denied, 1 timeout.
func syntheticReport() *Report {
	a, b := newTally(), newTally()
	for i := 1; i <= 990; i++ {
		t := a
		if i%2 == 0 {
			t = b
		}
		t.hist.RecordMicros(uint64(i))
		t.status(201)
	}
	for i := range 6 {
		t := a
		if i%2 == 0 {
			t = b
		}
		t.hist.RecordMicros(5119)
		t.status(429)
		t.fail("HTTP 429 ThrottlingException", `{"message":"Rate exceeded"}`)
	}
	for range 3 {
		a.hist.RecordMicros(2000)
		a.status(403)
		a.fail("HTTP 403 AccessDeniedException", "{\"message\":\n\"Untrusted signing certificate\"}")
	}
	b.hist.RecordMicros(10_000_000)
	b.fail("timeout", "net/http: timeout awaiting response headers")

	total := newTally()
	total.merge(a)
	total.merge(b)
	r := &Report{Label: "CreateSession at http://x, RSA-2048 leaf", Concurrency: 2, Rate: 500, PoolSize: 64,
		Warmup: 2 * time.Second, Duration: 2 * time.Second, ClientCPUPerRequest: 85 * time.Microsecond, Resigns: 3,
		ServerBefore: Sample{MetricRSS: 40 << 20, MetricHeapInuse: 10 << 20, MetricCPUSeconds: 10, MetricGoroutines: 9},
		ServerAfter:  Sample{MetricRSS: 42 << 20, MetricHeapInuse: 11 << 20, MetricCPUSeconds: 10.5, MetricGoroutines: 10},
	}
	r.fill(total, 2*time.Second)
	return r
}

func TestReportFill(t *testing.T) {
	r := syntheticReport()
	if r.Requests != 1000 || r.Successful != 990 || r.Failed != 10 {
		t.Fatalf("requests %d successful %d failed %d", r.Requests, r.Successful, r.Failed)
	}
	if r.Statuses[201] != 990 || r.Statuses[429] != 6 || r.Statuses[403] != 3 || len(r.Statuses) != 3 {
		t.Errorf("statuses %v", r.Statuses)
	}
	var kinds []string
	var failed int64
	for _, e := range r.Errors {
		kinds = append(kinds, e.Kind)
		failed += e.Count
	}
	if got := strings.Join(kinds, ","); got != "HTTP 429 ThrottlingException,HTTP 403 AccessDeniedException,timeout" {
		t.Errorf("error kinds %s, want most frequent first", got)
	}
	if failed != r.Failed {
		t.Errorf("errors add up to %d, failed %d", failed, r.Failed)
	}
	if r.Throughput != 495 {
		t.Errorf("throughput %v, want 990 successes / 2 s", r.Throughput)
	}
	us := time.Microsecond
	want := Latency{Min: us, P50: 500 * us, P90: 900 * us, P99: 990 * us, P999: 5119 * us, Max: 10 * time.Second}
	got := r.Latency
	got.Mean = 0
	// p50..p99 of 1..990 fall in the exact range (<256µs) or in buckets of
	// width 2 or 4; the report gives the top of the bucket.
	if got.Min != want.Min || got.Max != want.Max || got.P999 != want.P999 {
		t.Errorf("latency %+v, want %+v", got, want)
	}
	for _, c := range []struct{ got, want time.Duration }{{got.P50, want.P50}, {got.P90, want.P90}, {got.P99, want.P99}} {
		if c.got < c.want || c.got > c.want+3*us {
			t.Errorf("percentile %v, want %v (+bucket width)", c.got, c.want)
		}
	}
	if d, ok := r.ServerCPUPerRequest(); !ok || d != 500*us {
		t.Errorf("server CPU per request %v, want 0.5 s / 1000", d)
	}
}

func TestReportText(t *testing.T) {
	var b strings.Builder
	if err := syntheticReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"target", "RSA-2048 leaf",
		"2 workers, at 500 requests/s, 2s (after 2s warmup), 64 pre-signed requests",
		"requests           1000 in 2.00s",
		"successful         990 (201)",
		"errors             10",
		"6  HTTP 429 ThrottlingException: {\"message\":\"Rate exceeded\"}",
		"3  HTTP 403 AccessDeniedException: {\"message\": \"Untrusted signing certificate\"}",
		"1  timeout: net/http: timeout awaiting response headers",
		"throughput         495.0 successful requests/s",
		"p50 0.50", "p99.9 5.119ms  max 10000.000ms",
		"client CPU         85.0µs per request",
		"server CPU         500.0µs per request",
		"server memory      RSS 40.0 MiB -> 42.0 MiB (+2.0 MiB)",
		"heap in use 10.0 MiB -> 11.0 MiB (+1.0 MiB)",
		"server goroutines  9 -> 10",
		"late starts        0 (",
		"re-signing         pool signed afresh 3 times",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestReportJSON(t *testing.T) {
	var b strings.Builder
	if err := syntheticReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Requests   int64              `json:"requests"`
		Successful int64              `json:"successful"`
		Failed     int64              `json:"failed"`
		Statuses   map[string]int64   `json:"statuses"`
		Errors     []ErrorCount       `json:"errors"`
		RPS        float64            `json:"requests_per_second"`
		Latency    map[string]float64 `json:"latency_ms"`
		Server     struct {
			Before Sample  `json:"before"`
			After  Sample  `json:"after"`
			CPU    float64 `json:"cpu_per_request_ms"`
		} `json:"server"`
	}
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Requests != 1000 || doc.Successful != 990 || doc.Failed != 10 || doc.Statuses["429"] != 6 || len(doc.Errors) != 3 || doc.RPS != 495 {
		t.Errorf("JSON report %+v", doc)
	}
	if doc.Latency["max"] != 10000 || doc.Latency["min"] != 0.001 || doc.Latency["p99.9"] != 5.119 {
		t.Errorf("latency %v", doc.Latency)
	}
	if doc.Server.Before[MetricRSS] != 40<<20 || doc.Server.CPU != 0.5 {
		t.Errorf("server %+v", doc.Server)
	}
}
