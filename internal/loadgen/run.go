// Package loadgen is roam's load generator: it replays pre-signed
// CreateSession requests from concurrent workers over keep-alive HTTP/1.1
// connections, for a duration or a number of requests, unthrottled or at
// a fixed open-loop rate, and reports throughput, a latency distribution,
// errors, its own CPU cost and the server's memory before and after.
//
// Signing stays out of the measurement: a pool of requests is signed up
// front and re-signed in the background before the server's five-minute
// clock-skew window closes on it.
package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults of [Config].
const (
	DefaultPoolSize = 64
	DefaultResign   = 2 * time.Minute
	DefaultTimeout  = 10 * time.Second
)

// StatusCreated is the status of a successful CreateSession.
const StatusCreated = http.StatusCreated

// Config describes one load run.
type Config struct {
	// Sign signs the pool of requests to replay (see [CreateSession.Signer]).
	Sign SignFunc
	// Resign is how often the pool is signed afresh; default 2 minutes.
	Resign time.Duration
	// Concurrency is the number of workers, each with at most one request
	// in flight; default 2×GOMAXPROCS.
	Concurrency int
	// Duration and Requests bound the measured run; at least one must be
	// set. With both, the run stops at whichever comes first.
	Duration time.Duration
	Requests int64
	// Rate is the total requests per second, open-loop; 0 sends as fast
	// as the workers can.
	Rate float64
	// Warmup runs the same load for this long before measuring, to open
	// connections and warm the server's caches; its results are dropped.
	Warmup time.Duration
	// Timeout bounds the wait for a response's headers; default 10 s.
	// It applies only to the transport Run builds.
	Timeout time.Duration
	// InsecureSkipVerify skips TLS certificate verification (https only).
	InsecureSkipVerify bool
	// Transport sends the requests; nil means [NewTransport].
	Transport http.RoundTripper
	// MetricsURL, when set, is scraped before and after the measured run
	// (a Prometheus text exposition such as roam's /metrics).
	MetricsURL string
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Label describes the target in the report (e.g. the endpoint).
	Label string
}

// NewTransport returns an HTTP/1.1 keep-alive transport that keeps up to
// conns idle connections to one host, so every worker reuses its own.
func NewTransport(conns int, timeout time.Duration, insecureSkipVerify bool) *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecureSkipVerify}, //nolint:gosec // asked for by --no-verify-ssl
		// A non-nil empty map turns HTTP/2 off: HTTP/1.1 keep-alive only.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}

// Run runs the load cfg describes and reports on the measured part. It
// returns an error only when the run could not take place (bad config,
// signing failed); failed requests are in the report. Cancelling ctx ends
// the run early with a report on what was measured so far.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Sign == nil {
		return nil, errors.New("loadgen: no signer")
	}
	if cfg.Duration <= 0 && cfg.Requests <= 0 {
		return nil, errors.New("loadgen: a duration or a number of requests is required")
	}
	if cfg.Rate < 0 || cfg.Concurrency < 0 || cfg.Warmup < 0 {
		return nil, errors.New("loadgen: rate, concurrency and warmup cannot be negative")
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.Resign <= 0 {
		cfg.Resign = DefaultResign
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	rt := cfg.Transport
	if rt == nil {
		tr := NewTransport(cfg.Concurrency, cfg.Timeout, cfg.InsecureSkipVerify)
		defer tr.CloseIdleConnections()
		rt = tr
	}
	p, err := newPool(cfg.Sign, cfg.Clock)
	if err != nil {
		return nil, err
	}
	refreshCtx, stopRefresh := context.WithCancel(ctx)
	var refreshing sync.WaitGroup
	refreshing.Go(func() { p.refresh(refreshCtx, cfg.Resign) })
	defer func() { stopRefresh(); refreshing.Wait() }()

	r := &runner{cfg: cfg, rt: rt, pool: p}
	if cfg.Warmup > 0 {
		r.phase(ctx, cfg.Warmup, 0)
	}
	rep := &Report{
		Label: cfg.Label, Concurrency: cfg.Concurrency, Rate: cfg.Rate, PoolSize: p.size(),
		Warmup: cfg.Warmup, Duration: cfg.Duration, Limit: cfg.Requests,
	}
	metricsClient := &http.Client{Transport: rt, Timeout: 10 * time.Second}
	var before Sample
	if cfg.MetricsURL != "" {
		before, err = Scrape(ctx, metricsClient, cfg.MetricsURL)
		if err != nil {
			rep.MetricsError = err.Error()
		}
	}
	cpu0, cpuOK := processCPU()
	t, elapsed := r.phase(ctx, cfg.Duration, cfg.Requests)
	cpu1, _ := processCPU()
	if cfg.MetricsURL != "" && rep.MetricsError == "" {
		after, err := Scrape(ctx, metricsClient, cfg.MetricsURL)
		if err != nil {
			rep.MetricsError = err.Error()
		} else {
			rep.ServerBefore, rep.ServerAfter = before, after
		}
	}
	rep.fill(t, elapsed)
	if cpuOK && rep.Requests > 0 {
		rep.ClientCPUPerRequest = (cpu1 - cpu0) / time.Duration(rep.Requests)
	}
	rep.Resigns, rep.ResignFailures = p.resigns.Load(), p.failures.Load()
	if e := p.lastErr.Load(); e != nil {
		rep.ResignError = (*e).Error()
	}
	rep.Interrupted = ctx.Err() != nil
	return rep, nil
}

type runner struct {
	cfg  Config
	rt   http.RoundTripper
	pool *pool
}

// phase runs the workers against one schedule and returns what they saw
// and how long it took.
func (r *runner) phase(ctx context.Context, duration time.Duration, limit int64) (*tally, time.Duration) {
	s := newSchedule(r.cfg.Clock, r.cfg.Rate, duration, limit)
	tallies := make([]*tally, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range tallies {
		t := newTally()
		tallies[i] = t
		wg.Go(func() { r.work(ctx, s, t) })
	}
	wg.Wait()
	elapsed := r.cfg.Clock.Now().Sub(s.start)
	total := newTally()
	for _, t := range tallies {
		total.merge(t)
	}
	return total, elapsed
}

// lateAfter is how long after its due time a request may start before a
// report counts it as late: at a fixed rate, late requests mean every
// worker was busy (or the client starved of CPU), so the rate was not
// really offered.
const lateAfter = time.Millisecond

// maxExample is how much of an error body a report keeps as an example.
const maxExample = 512

// work is one worker: it takes slots until the schedule ends and sends one
// request per slot.
func (r *runner) work(ctx context.Context, s *schedule, t *tally) {
	clock := r.cfg.Clock
	for {
		slot, due, ok := s.take(ctx)
		if !ok {
			return
		}
		if s.rate > 0 && clock.Now().Sub(due) > lateAfter {
			t.late++
		}
		resp, err := r.rt.RoundTrip(r.pool.get(slot).request(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return // interrupted, not a server failure
			}
			t.hist.Record(clock.Now().Sub(due))
			t.fail(transportErrorKind(err), err.Error())
			continue
		}
		var kind string
		var example []byte
		if resp.StatusCode != StatusCreated {
			kind = httpErrorKind(resp)
			if !t.seen(kind) {
				example, err = io.ReadAll(io.LimitReader(resp.Body, maxExample))
			}
		}
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.hist.Record(clock.Now().Sub(due))
			t.fail("reading response: "+transportErrorKind(err), err.Error())
			continue
		}
		t.hist.Record(clock.Now().Sub(due))
		t.status(resp.StatusCode)
		if kind != "" {
			t.fail(kind, strings.TrimSpace(string(example)))
		}
	}
}

// httpErrorKind names a failed response: its status and AWS error code.
func httpErrorKind(resp *http.Response) string {
	kind := fmt.Sprintf("HTTP %d", resp.StatusCode)
	code := resp.Header.Get("X-Amzn-ErrorType")
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if code != "" {
		kind += " " + code
	}
	return kind
}

// transportErrorKind sorts a transport error into a few kinds, so that a
// report does not list one line per ephemeral port.
func transportErrorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "out of local ports"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	}
	return "transport error"
}

// tally is what one worker (or, merged, a whole run) saw.
type tally struct {
	hist     Histogram
	statuses map[int]int64
	errors   map[string]*ErrorCount
	order    []string // error kinds in order of first appearance
	late     int64    // requests started more than lateAfter after due
}

func newTally() *tally {
	return &tally{statuses: map[int]int64{}, errors: map[string]*ErrorCount{}}
}

func (t *tally) status(code int) { t.statuses[code]++ }

func (t *tally) seen(kind string) bool { return t.errors[kind] != nil }

func (t *tally) fail(kind, example string) {
	e := t.errors[kind]
	if e == nil {
		if len(example) > maxExample {
			example = example[:maxExample]
		}
		e = &ErrorCount{Kind: kind, Example: example}
		t.errors[kind] = e
		t.order = append(t.order, kind)
	}
	e.Count++
}

func (t *tally) merge(o *tally) {
	t.hist.Merge(&o.hist)
	t.late += o.late
	for code, n := range o.statuses {
		t.statuses[code] += n
	}
	for _, kind := range o.order {
		e := o.errors[kind]
		if mine := t.errors[kind]; mine != nil {
			mine.Count += e.Count
			continue
		}
		c := *e
		t.errors[kind] = &c
		t.order = append(t.order, kind)
	}
}
