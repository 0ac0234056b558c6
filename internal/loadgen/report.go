package loadgen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of the measured part of a run.
type Report struct {
	Label       string
	Concurrency int
	Rate        float64 // requested rate; 0 for unthrottled
	PoolSize    int
	Warmup      time.Duration
	Duration    time.Duration // requested duration; 0 when bounded by Limit only
	Limit       int64         // requested number of requests; 0 when bounded by Duration only
	// Interrupted is set when the run was cancelled before its end.
	Interrupted bool

	// Elapsed is the time from the first request's start to the last
	// one's end.
	Elapsed time.Duration
	// Requests were sent and either answered or failed in transit;
	// Requests = Successful + Failed.
	Requests   int64
	Successful int64 // answered 201 Created
	Failed     int64
	// Statuses counts the answers by HTTP status.
	Statuses map[int]int64
	// Errors are the failures by kind, most frequent first.
	Errors []ErrorCount
	// Throughput is successful requests per second of Elapsed.
	Throughput float64
	// Latency is over every request in Requests, measured from when it was
	// due (so at a fixed rate, time spent queued behind a slow server
	// counts) to the end of its response body.
	Latency Latency
	// Late counts, at a fixed rate, the requests that started more than
	// 1 ms after they were due because every worker was busy or the
	// client was short of CPU: when it is not small, raise the
	// concurrency or move the client, or the rate was not really offered.
	Late int64

	// ClientCPUPerRequest is this process's CPU time per request (0 when
	// the system does not report it).
	ClientCPUPerRequest time.Duration
	// ServerBefore and ServerAfter are the server's metrics around the
	// measured run, when a metrics URL was given and could be read.
	ServerBefore, ServerAfter Sample
	MetricsError              string

	// Resigns counts the times the pool was signed afresh; ResignFailures
	// the attempts that failed (the old pool stayed in use).
	Resigns, ResignFailures int64
	ResignError             string
}

// ErrorCount is one kind of failure, with an example: the body of the
// first such response, or the first such transport error.
type ErrorCount struct {
	Kind    string `json:"kind"`
	Count   int64  `json:"count"`
	Example string `json:"example,omitempty"`
}

// Latency summarises a latency distribution.
type Latency struct {
	Min, Mean, P50, P90, P99, P999, Max time.Duration
}

// LatencyOf summarises h.
func LatencyOf(h *Histogram) Latency {
	return Latency{
		Min: h.Min(), Mean: h.Mean(),
		P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99), P999: h.Quantile(0.999),
		Max: h.Max(),
	}
}

// fill sets the counts and summaries from a run's tally.
func (r *Report) fill(t *tally, elapsed time.Duration) {
	r.Elapsed = elapsed
	r.Requests = int64(t.hist.Count())
	r.Statuses = t.statuses
	r.Successful = t.statuses[StatusCreated]
	r.Failed = r.Requests - r.Successful
	for _, kind := range t.order {
		r.Errors = append(r.Errors, *t.errors[kind])
	}
	slices.SortStableFunc(r.Errors, func(a, b ErrorCount) int { return cmp.Compare(b.Count, a.Count) })
	if elapsed > 0 {
		r.Throughput = float64(r.Successful) / elapsed.Seconds()
	}
	r.Latency = LatencyOf(&t.hist)
	r.Late = t.late
}

// ServerCPUPerRequest is the server's CPU time per request over the run,
// from process_cpu_seconds_total; ok is false when unknown.
func (r *Report) ServerCPUPerRequest() (d time.Duration, ok bool) {
	b, ok1 := r.ServerBefore[MetricCPUSeconds]
	a, ok2 := r.ServerAfter[MetricCPUSeconds]
	if !ok1 || !ok2 || r.Requests == 0 {
		return 0, false
	}
	return time.Duration((a - b) / float64(r.Requests) * float64(time.Second)), true
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{name}, args...)...)
	}
	load := "unthrottled"
	if r.Rate > 0 {
		load = fmt.Sprintf("at %s requests/s", trimFloat(r.Rate))
	}
	var bound []string
	if r.Duration > 0 {
		bound = append(bound, r.Duration.String())
	}
	if r.Limit > 0 {
		bound = append(bound, fmt.Sprintf("%d requests", r.Limit))
	}
	p("target", "%s", r.Label)
	p("load", "%d workers, %s, %s (after %s warmup), %d pre-signed requests", r.Concurrency, load, strings.Join(bound, " or "), r.Warmup, r.PoolSize)
	if r.Interrupted {
		p("note", "interrupted: the figures cover the run so far")
	}
	p("requests", "%d in %.2fs", r.Requests, r.Elapsed.Seconds())
	p("successful", "%d (201)", r.Successful)
	p("errors", "%d", r.Failed)
	for _, e := range r.Errors {
		line := fmt.Sprintf("%d  %s", e.Count, e.Kind)
		if e.Example != "" {
			line += ": " + oneLine(e.Example, 160)
		}
		p("", "  %s", line)
	}
	p("throughput", "%.1f successful requests/s", r.Throughput)
	l := r.Latency
	p("latency", "p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s)", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max), ms(l.Mean))
	if r.Rate > 0 {
		p("late starts", "%d (requests started >1ms after due: workers all busy or client short of CPU)", r.Late)
	}
	if r.ClientCPUPerRequest > 0 {
		p("client CPU", "%s per request", us(r.ClientCPUPerRequest))
	}
	if d, ok := r.ServerCPUPerRequest(); ok {
		p("server CPU", "%s per request", us(d))
	}
	if r.MetricsError != "" {
		p("server memory", "unknown (%s)", r.MetricsError)
	} else if r.ServerBefore != nil {
		p("server memory", "%s", r.memoryLine(MetricRSS, "RSS"))
		p("", "%s", r.memoryLine(MetricHeapInuse, "heap in use"))
		if g, ok := r.ServerAfter[MetricGoroutines]; ok {
			p("server goroutines", "%.0f -> %.0f", r.ServerBefore[MetricGoroutines], g)
		}
	}
	switch {
	case r.ResignFailures > 0:
		p("re-signing", "%d of %d failed: %s", r.ResignFailures, r.Resigns+r.ResignFailures, r.ResignError)
	case r.Resigns > 0:
		p("re-signing", "pool signed afresh %d times", r.Resigns)
	}
	return tw.Flush()
}

func (r *Report) memoryLine(metric, name string) string {
	b, ok1 := r.ServerBefore[metric]
	a, ok2 := r.ServerAfter[metric]
	if !ok1 || !ok2 {
		return name + " unknown (" + metric + " not exported)"
	}
	return fmt.Sprintf("%s %s -> %s (%+.1f MiB)", name, mib(b), mib(a), (a-b)/(1<<20))
}

// WriteJSON prints the report as one JSON document, durations in
// milliseconds.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// MarshalJSON encodes the report with durations as milliseconds.
func (r *Report) MarshalJSON() ([]byte, error) {
	statuses := map[string]int64{}
	for code, n := range r.Statuses {
		statuses[strconv.Itoa(code)] = n
	}
	type server struct {
		Before       Sample   `json:"before,omitempty"`
		After        Sample   `json:"after,omitempty"`
		CPUPerReqMs  *float64 `json:"cpu_per_request_ms,omitempty"`
		MetricsError string   `json:"metrics_error,omitempty"`
	}
	srv := &server{Before: r.ServerBefore, After: r.ServerAfter, MetricsError: r.MetricsError}
	if d, ok := r.ServerCPUPerRequest(); ok {
		v := msf(d)
		srv.CPUPerReqMs = &v
	}
	if srv.Before == nil && srv.MetricsError == "" {
		srv = nil
	}
	errs := r.Errors
	if errs == nil {
		errs = []ErrorCount{}
	}
	return json.Marshal(struct {
		Target              string             `json:"target,omitempty"`
		Concurrency         int                `json:"concurrency"`
		Rate                float64            `json:"rate,omitempty"`
		PoolSize            int                `json:"pool_size"`
		WarmupMs            float64            `json:"warmup_ms"`
		DurationMs          float64            `json:"duration_ms,omitempty"`
		Limit               int64              `json:"request_limit,omitempty"`
		Interrupted         bool               `json:"interrupted,omitempty"`
		ElapsedMs           float64            `json:"elapsed_ms"`
		Requests            int64              `json:"requests"`
		Successful          int64              `json:"successful"`
		Failed              int64              `json:"failed"`
		Statuses            map[string]int64   `json:"statuses"`
		Errors              []ErrorCount       `json:"errors"`
		Throughput          float64            `json:"requests_per_second"`
		Latency             map[string]float64 `json:"latency_ms"`
		Late                int64              `json:"late_starts"`
		ClientCPUPerRequest float64            `json:"client_cpu_per_request_ms,omitempty"`
		Server              *server            `json:"server,omitempty"`
		Resigns             int64              `json:"resigns"`
		ResignFailures      int64              `json:"resign_failures,omitempty"`
		ResignError         string             `json:"resign_error,omitempty"`
	}{
		Target: r.Label, Concurrency: r.Concurrency, Rate: r.Rate, PoolSize: r.PoolSize,
		WarmupMs: msf(r.Warmup), DurationMs: msf(r.Duration), Limit: r.Limit, Interrupted: r.Interrupted,
		ElapsedMs: msf(r.Elapsed), Requests: r.Requests, Successful: r.Successful, Failed: r.Failed,
		Statuses: statuses, Errors: errs, Throughput: r.Throughput,
		Latency: map[string]float64{
			"min": msf(r.Latency.Min), "mean": msf(r.Latency.Mean), "p50": msf(r.Latency.P50), "p90": msf(r.Latency.P90),
			"p99": msf(r.Latency.P99), "p99.9": msf(r.Latency.P999), "max": msf(r.Latency.Max),
		},
		Late:                r.Late,
		ClientCPUPerRequest: msf(r.ClientCPUPerRequest), Server: srv,
		Resigns: r.Resigns, ResignFailures: r.ResignFailures, ResignError: r.ResignError,
	})
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string { return strconv.FormatFloat(msf(d), 'f', 3, 64) + "ms" }

func us(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + "µs"
}

func mib(b float64) string { return strconv.FormatFloat(b/(1<<20), 'f', 1, 64) + " MiB" }

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// oneLine squeezes s onto one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
