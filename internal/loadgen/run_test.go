package loadgen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/testpki"
)

// fakeService answers POST /sessions with 201, except for requests whose
// X-Deny header is set (403 AccessDeniedException), and serves /metrics.
type fakeService struct {
	sessions   atomic.Int64
	bodies     sync.Map // distinct invocation IDs seen
	bodyErrors atomic.Int64
}

func (f *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/metrics":
		io.WriteString(w, "# HELP process_resident_memory_bytes x\n# TYPE process_resident_memory_bytes gauge\n"+
			"process_resident_memory_bytes 4.194304e+07\ngo_memstats_heap_inuse_bytes 1.048576e+07\n"+
			"process_cpu_seconds_total "+f.cpu()+"\ngo_goroutines 12\n")
	case "/sessions":
		f.sessions.Add(1)
		body, _ := io.ReadAll(r.Body)
		if string(body) != `{"durationSeconds":900}` {
			f.bodyErrors.Add(1)
		}
		f.bodies.Store(r.Header.Get("Amz-Sdk-Invocation-Id"), true)
		if r.Header.Get("X-Deny") != "" {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"Unable to assume role for the profile"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"credentialSet":[]}`)
	default:
		http.NotFound(w, r)
	}
}

// cpu pretends the server spends 1ms of CPU per session.
func (f *fakeService) cpu() string {
	return strconv.FormatFloat(float64(f.sessions.Load())/1000, 'g', -1, 64)
}

// fakeSigner returns a SignFunc producing n requests for base; every
// deny-th one carries X-Deny.
func fakeSigner(base string, n, deny int) (SignFunc, *atomic.Int64) {
	var calls atomic.Int64
	return func(time.Time) ([]*Prepared, error) {
		k := calls.Add(1)
		u, err := url.Parse(base + "/sessions?profileArn=p")
		if err != nil {
			return nil, err
		}
		out := make([]*Prepared, n)
		for i := range out {
			h := http.Header{}
			h.Set("Amz-Sdk-Invocation-Id", string(rune('a'+i))+strings.Repeat("x", int(k)))
			if deny > 0 && i%deny == deny-1 {
				h.Set("X-Deny", "1")
			}
			out[i] = &Prepared{Method: http.MethodPost, URL: u, Header: h, Body: []byte(`{"durationSeconds":900}`)}
		}
		return out, nil
	}, &calls
}

func TestRunCountsAddUp(t *testing.T) {
	f := &fakeService{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	sign, _ := fakeSigner(srv.URL, 8, 4) // slots 3 and 7 of every 8 are denied
	rep, err := Run(context.Background(), Config{
		Sign: sign, Concurrency: 4, Requests: 2000, MetricsURL: srv.URL + "/metrics", Label: "fake",
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 2000 || f.sessions.Load() != 2000 {
		t.Fatalf("report %d requests, server saw %d, want 2000", rep.Requests, f.sessions.Load())
	}
	if rep.Successful != 1500 || rep.Failed != 500 || rep.Statuses[201] != 1500 || rep.Statuses[403] != 500 {
		t.Errorf("successful %d failed %d statuses %v, want 1500/500", rep.Successful, rep.Failed, rep.Statuses)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Kind != "HTTP 403 AccessDeniedException" || rep.Errors[0].Count != 500 ||
		!strings.Contains(rep.Errors[0].Example, "Unable to assume role") {
		t.Errorf("errors %+v", rep.Errors)
	}
	if f.bodyErrors.Load() != 0 {
		t.Errorf("%d requests arrived with a wrong body", f.bodyErrors.Load())
	}
	n := 0
	f.bodies.Range(func(any, any) bool { n++; return true })
	if n != 8 || rep.PoolSize != 8 {
		t.Errorf("%d distinct requests replayed (pool %d), want the pool's 8", n, rep.PoolSize)
	}
	l := rep.Latency
	if !(0 <= l.Min && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("latency not monotonic: %+v", l)
	}
	if rep.Elapsed <= 0 || rep.Throughput <= 0 {
		t.Errorf("elapsed %v throughput %v", rep.Elapsed, rep.Throughput)
	}
	if rep.ServerBefore[MetricRSS] != 41943040 || rep.ServerAfter[MetricHeapInuse] != 10485760 {
		t.Errorf("server metrics before %v after %v", rep.ServerBefore, rep.ServerAfter)
	}
	if d, ok := rep.ServerCPUPerRequest(); !ok || d != time.Millisecond {
		t.Errorf("server CPU per request %v %v, want 1ms", d, ok)
	}
}

func TestRunWarmupIsNotCounted(t *testing.T) {
	f := &fakeService{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	sign, _ := fakeSigner(srv.URL, 4, 0)
	rep, err := Run(context.Background(), Config{Sign: sign, Concurrency: 2, Requests: 100, Warmup: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 100 || rep.Successful != 100 || rep.Failed != 0 || len(rep.Errors) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if warm := f.sessions.Load() - 100; warm <= 0 {
		t.Errorf("the warmup sent %d requests", warm)
	}
}

func TestRunAtARateWithAFakeClock(t *testing.T) {
	f := &fakeService{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	sign, _ := fakeSigner(srv.URL, 4, 0)
	rep, err := Run(context.Background(), Config{Sign: sign, Concurrency: 3, Rate: 50, Duration: 2 * time.Second, Clock: runClock{newFakeClock()}})
	if err != nil {
		t.Fatal(err)
	}
	// 2 s at 50/s is 100 slots, whatever the real time it took.
	if rep.Requests != 100 || f.sessions.Load() != 100 {
		t.Fatalf("%d requests (server saw %d), want 100", rep.Requests, f.sessions.Load())
	}
}

func TestRunReportsTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	sign, _ := fakeSigner(base, 2, 0)
	rep, err := Run(context.Background(), Config{Sign: sign, Concurrency: 2, Requests: 10, MetricsURL: base + "/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 10 || rep.Failed != 10 || rep.Successful != 0 || len(rep.Statuses) != 0 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Kind != "connection refused" || rep.Errors[0].Count != 10 {
		t.Errorf("errors %+v", rep.Errors)
	}
	if rep.MetricsError == "" || rep.ServerBefore != nil {
		t.Errorf("metrics error %q, before %v", rep.MetricsError, rep.ServerBefore)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	sign, _ := fakeSigner("http://127.0.0.1:1", 1, 0)
	for name, cfg := range map[string]Config{
		"no signer":    {Requests: 1},
		"no bound":     {Sign: sign},
		"negative":     {Sign: sign, Requests: 1, Rate: -1},
		"sign fails":   {Sign: func(time.Time) ([]*Prepared, error) { return nil, errors.New("no key") }, Requests: 1},
		"sign nothing": {Sign: func(time.Time) ([]*Prepared, error) { return nil, nil }, Requests: 1},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPoolResigns(t *testing.T) {
	c := newFakeClock()
	var fail atomic.Bool
	var signedAt []time.Time
	sign := func(now time.Time) ([]*Prepared, error) {
		if fail.Load() {
			return nil, errors.New("token removed")
		}
		signedAt = append(signedAt, now)
		u, _ := url.Parse("http://x/sessions")
		return []*Prepared{{URL: u, Header: http.Header{"N": {now.String()}}}, {URL: u}}, nil
	}
	p, err := newPool(sign, c)
	if err != nil {
		t.Fatal(err)
	}
	first := p.get(0)
	if p.get(2) != first || p.get(1) == first || p.size() != 2 {
		t.Fatal("the pool does not hand its requests out in turn")
	}
	c.advance(2 * time.Minute)
	p.resign()
	if p.get(0) == first || p.resigns.Load() != 1 || !signedAt[1].Equal(epoch.Add(2*time.Minute)) {
		t.Fatalf("resign did not swap in a pool signed now: %v", signedAt)
	}
	fail.Store(true)
	kept := p.get(0)
	p.resign()
	if p.get(0) != kept || p.failures.Load() != 1 || (*p.lastErr.Load()).Error() != "token removed" {
		t.Fatal("a failed resign should keep the old pool and count the failure")
	}
	fail.Store(false)

	// refresh re-signs at its interval until its context ends.
	c = newFakeClock()
	p, _ = newPool(sign, c)
	signedAt = nil
	ctx, cancel := context.WithCancel(context.Background())
	stopAfter := &stoppingClock{fakeClock: c, n: 3, cancel: cancel}
	p.clock = stopAfter
	p.refresh(ctx, 2*time.Minute)
	if p.resigns.Load() != 3 || len(signedAt) != 3 || !signedAt[2].Equal(epoch.Add(6*time.Minute)) {
		t.Errorf("refresh re-signed %d times at %v, want 3 times 2 minutes apart", p.resigns.Load(), signedAt)
	}
}

// stoppingClock cancels its context on the n+1th sleep.
type stoppingClock struct {
	*fakeClock
	n      int
	cancel func()
}

func (s *stoppingClock) Sleep(ctx context.Context, d time.Duration) error {
	if s.sleepCount() == s.n {
		s.cancel()
	}
	return s.fakeClock.Sleep(ctx, d)
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 1.2345e+07
go_gc_duration_seconds{quantile="0.5"} 1e-05
process_resident_memory_bytes 5.0331648e+07
roam_requests_total{code="201",operation="CreateSession",service="rolesanywhere"} 9
`
	s, err := parseMetrics(strings.NewReader(text), scrapedMetrics)
	if err != nil {
		t.Fatal(err)
	}
	want := Sample{MetricGoroutines: 42, MetricHeapInuse: 12345000, MetricRSS: 50331648}
	if len(s) != len(want) {
		t.Fatalf("got %v, want %v", s, want)
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s = %v, want %v", k, s[k], v)
		}
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines many\n"), scrapedMetrics); err == nil {
		t.Error("a malformed value should be an error")
	}
}

func TestPreparedRequestIsFreshEachTime(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1/sessions?a=b")
	p := &Prepared{Method: http.MethodPost, URL: u, Header: http.Header{"A": {"b"}}, Body: []byte("body")}
	for range 2 {
		r := p.request(context.Background())
		got, _ := io.ReadAll(r.Body)
		if !bytes.Equal(got, p.Body) || r.ContentLength != 4 || r.Host != "127.0.0.1:1" || r.Header.Get("A") != "b" {
			t.Fatalf("request %+v body %q", r, got)
		}
	}
}

// runClock is a fake clock for whole runs: the pool's re-signing timer
// (minutes) never fires, so only the schedule moves the time.
type runClock struct{ *fakeClock }

func (c runClock) Sleep(ctx context.Context, d time.Duration) error {
	if d >= time.Minute {
		<-ctx.Done()
		return ctx.Err()
	}
	return c.fakeClock.Sleep(ctx, d)
}

// slowTransport answers 201 after taking d of the fake clock's time.
type slowTransport struct {
	clock *fakeClock
	d     time.Duration
	n     atomic.Int64
}

func (s *slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Body.Close()
	s.n.Add(1)
	s.clock.advance(s.d)
	return &http.Response{StatusCode: http.StatusCreated, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

func TestRunMeasuresFromTheDueTime(t *testing.T) {
	// One worker offered 100 requests/s by a server that takes 25ms each:
	// request i is due at 10i ms but starts at 25i ms and ends at
	// 25(i+1) ms, so its latency is 15i+25 ms, not the 25 ms of service
	// time alone (no coordinated omission).
	c := newFakeClock()
	tr := &slowTransport{clock: c, d: 25 * time.Millisecond}
	sign, _ := fakeSigner("http://fake", 4, 0)
	rep, err := Run(context.Background(), Config{Sign: sign, Concurrency: 1, Rate: 100, Duration: time.Second, Transport: tr, Clock: runClock{c}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 100 || rep.Successful != 100 || tr.n.Load() != 100 {
		t.Fatalf("requests %d successful %d sent %d, want 100", rep.Requests, rep.Successful, tr.n.Load())
	}
	ms := time.Millisecond
	// p50 is request 49 (760ms), p99 request 98 (1495ms), max request 99
	// (1510ms); the histogram reports the top of each value's bucket.
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{{"min", rep.Latency.Min, 25 * ms}, {"p50", rep.Latency.P50, 760 * ms}, {"p99", rep.Latency.P99, 1495 * ms}, {"max", rep.Latency.Max, 1510 * ms}} {
		if c.got < c.want || float64(c.got) > float64(c.want)*(1+1.0/subN) {
			t.Errorf("%s latency %v, want %v", c.name, c.got, c.want)
		}
	}
	if rep.Late != 99 {
		t.Errorf("%d late starts, want 99 (all but the first)", rep.Late)
	}
	if rep.Elapsed != 2500*ms || rep.Throughput != 40 {
		t.Errorf("elapsed %v throughput %v, want 2.5s and 40/s", rep.Elapsed, rep.Throughput)
	}
}

func TestCreateSessionSigner(t *testing.T) {
	// The pool is built like the helper's request and really signed: the
	// server-side checks are in the cli tests; here, the shape.
	leaf := testpki.NewCA(t).Leaf(t) // ECDSA P-256
	var debug strings.Builder
	cs := &CreateSession{
		Params: helper.Params{
			Endpoint: "http://127.0.0.1:8443/prefix/", TrustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a",
			ProfileArn: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p", RoleArn: "arn:aws:iam::123456789012:role/r",
			DurationSeconds: 900, RoleSessionName: "bench", Region: "us-east-1",
		},
		UserAgent: "roam/test (bench)", Identity: sigv4x509.Identity{Signer: leaf.Key, Certificate: leaf.Cert}, Debug: &debug,
	}
	reqs, err := cs.Signer(3)(epoch)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range reqs {
		q := r.URL.Query()
		if r.Method != http.MethodPost || r.URL.Path != "/prefix/sessions" || q.Get("roleArn") != cs.RoleArn || q.Get("profileArn") != cs.ProfileArn || q.Get("trustAnchorArn") != cs.TrustAnchorArn {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		if string(r.Body) != `{"durationSeconds":900,"roleSessionName":"bench"}` {
			t.Errorf("body %s", r.Body)
		}
		if r.Header.Get("X-Amz-Date") != "20260301T120000Z" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-X509-ECDSA-SHA256 Credential=") ||
			r.Header.Get("User-Agent") != "roam/test (bench)" || r.Header.Get("Amz-Sdk-Request") != "attempt=1; max=3" {
			t.Errorf("headers %v", r.Header)
		}
		ids[r.Header.Get("Amz-Sdk-Invocation-Id")] = true
	}
	if len(ids) != 3 {
		t.Errorf("%d distinct invocation IDs in 3 requests", len(ids))
	}
	if strings.Count(debug.String(), "--- canonical request ---") != 1 {
		t.Errorf("debug output:\n%s", debug.String())
	}
}
