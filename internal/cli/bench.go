//go:build !helper

package cli

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/cloudflare/circl/sign"
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/loadgen"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newBenchCmd(env)) })
}

func newBenchCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test a roam server",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newBenchCreateSessionCmd(env))
	return cmd
}

type benchArgs struct {
	sessionFlags
	concurrency int
	duration    time.Duration
	requests    int64
	rate        float64
	warmup      time.Duration
	timeout     time.Duration
	poolSize    int
	metricsURL  string
	output      string
}

func newBenchCreateSessionCmd(env *Env) *cobra.Command {
	var a benchArgs
	cmd := &cobra.Command{
		Use:   "createsession",
		Short: "Replay pre-signed CreateSession requests against a server and report throughput and latency",
		Long: `Sign a pool of CreateSession requests with the certificate and key (the
flags of credential-process), then replay them from --concurrency workers
over keep-alive HTTP/1.1 connections, for --duration or --requests,
unthrottled or at a fixed total --rate (open-loop: latency counts from when
each request was due). Signing stays out of the figures: the pool is signed
up front and again every 2 minutes, within the server's clock-skew window.

Prints requests, successful (201) and failed requests by status or kind,
successful requests per second, latency percentiles, this process's CPU
time per request, and the server's memory and CPU from its /metrics before
and after the run. Exits 1 if any request failed. No proxy is used
(--with-proxy is accepted and ignored); --debug prints the canonical
request of the first request each time the pool is signed.

At a fixed --rate, give enough workers to absorb slow responses (about the
rate times the worst latency you expect): "late starts" in the report
counts requests that could not start on time.

  roam bench createsession --endpoint http://127.0.0.1:8443 \
    --certificate client.pem --private-key client.key \
    --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN \
    --concurrency 8 --duration 30s [--rate 2500]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.run(cmd, env) },
	}
	a.bind(cmd)
	f := cmd.Flags()
	f.IntVar(&a.concurrency, "concurrency", 2*runtime.GOMAXPROCS(0), "Number of workers (and connections), each with one request in flight")
	f.DurationVar(&a.duration, "duration", 30*time.Second, "How long to measure (with --requests alone, no time limit)")
	f.Int64Var(&a.requests, "requests", 0, "Stop after this many requests (0: run for --duration)")
	f.Float64Var(&a.rate, "rate", 0, "Total requests per second, open-loop (0: as fast as possible)")
	f.DurationVar(&a.warmup, "warmup", 2*time.Second, "Load to run, unmeasured, before measuring")
	f.DurationVar(&a.timeout, "timeout", loadgen.DefaultTimeout, "How long to wait for a response")
	f.IntVar(&a.poolSize, "pool-size", loadgen.DefaultPoolSize, "Number of distinct pre-signed requests to replay")
	f.StringVar(&a.metricsURL, "metrics-url", "", `Server metrics to read before and after (default ENDPOINT/metrics; "none" to skip)`)
	f.StringVar(&a.output, "output", "text", "Output format: text or json")
	for _, name := range []string{"endpoint", "trust-anchor-arn", "profile-arn", "role-arn"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// config checks the flags and turns them into a run configuration; the
// signer is left for run.
func (a *benchArgs) config(cmd *cobra.Command) (loadgen.Config, *loadgen.CreateSession, error) {
	var cfg loadgen.Config
	switch a.output {
	case "text", "json":
	default:
		return cfg, nil, usageError{fmt.Errorf("--output %q: want text or json", a.output)}
	}
	if a.concurrency < 1 {
		return cfg, nil, usageError{errors.New("--concurrency must be at least 1")}
	}
	if a.rate < 0 || a.requests < 0 || a.warmup < 0 || a.poolSize < 1 {
		return cfg, nil, usageError{errors.New("--rate, --requests and --warmup cannot be negative, and --pool-size must be at least 1")}
	}
	duration := a.duration
	if a.requests > 0 && !cmd.Flags().Changed("duration") {
		duration = 0
	}
	if duration <= 0 && a.requests == 0 {
		return cfg, nil, usageError{errors.New("give a positive --duration or --requests")}
	}
	u, err := url.Parse(a.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, nil, usageError{fmt.Errorf("--endpoint %q: want a URL such as http://127.0.0.1:8443", a.endpoint)}
	}
	endpoint := strings.TrimSuffix(a.endpoint, "/")
	params := a.params()
	if _, err := params.SigningRegion(); err != nil {
		return cfg, nil, err
	}
	params.Endpoint = endpoint
	metricsURL := a.metricsURL
	switch {
	case metricsURL == "none":
		metricsURL = ""
	case metricsURL == "":
		metricsURL = endpoint + "/metrics"
	}
	cfg = loadgen.Config{
		Concurrency: a.concurrency, Duration: duration, Requests: a.requests, Rate: a.rate,
		Warmup: a.warmup, Timeout: a.timeout, InsecureSkipVerify: a.noVerifySSL, MetricsURL: metricsURL,
	}
	cs := &loadgen.CreateSession{Params: params, UserAgent: fmt.Sprintf("roam/%s (bench)", Version)}
	return cfg, cs, nil
}

func (a *benchArgs) run(cmd *cobra.Command, env *Env) error {
	cfg, cs, err := a.config(cmd)
	if err != nil {
		return err
	}
	src, err := a.open(cmd, env)
	if err != nil {
		return err
	}
	defer src.Close()
	id, err := identity(src)
	if err != nil {
		return err
	}
	cs.Identity = id
	if a.debug {
		cs.Debug = env.Stderr
	}
	cfg.Sign = cs.Signer(a.poolSize)
	cfg.Label = fmt.Sprintf("CreateSession at %s, %s leaf", cs.Endpoint, keyDescription(id.Signer.Public()))
	if a.output == "text" {
		fmt.Fprintf(env.Stderr, "roam bench: %s warmup, then measuring...\n", a.warmup)
	}
	rep, err := loadgen.Run(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	if a.output == "json" {
		err = rep.WriteJSON(env.Stdout)
	} else {
		err = rep.WriteText(env.Stdout)
	}
	if err != nil {
		return err
	}
	switch {
	case rep.Failed > 0:
		return fmt.Errorf("%d of %d requests failed", rep.Failed, rep.Requests)
	case rep.Requests == 0:
		return errors.New("no request was sent")
	case rep.Interrupted:
		return errors.New("interrupted")
	}
	return nil
}

// keyDescription names a public key's algorithm and size, e.g. "RSA-2048".
func keyDescription(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case sign.PublicKey: // ML-DSA, whose certificates crypto/x509 leaves without a PublicKey
		return k.Scheme().Name()
	}
	return fmt.Sprintf("%T", pub)
}
