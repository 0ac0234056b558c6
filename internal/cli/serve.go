package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/helper"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newServeCmd(env)) })
}

// Defaults of serve, as in aws_signing_helper.
const (
	defaultServePort   = 9911
	defaultServeListen = "127.0.0.1"
	// serveShutdownGrace is how long in-flight requests get on SIGTERM.
	serveShutdownGrace = 5 * time.Second
)

func newServeCmd(env *Env) *cobra.Command {
	var flags sessionFlags
	var port, hopLimit int
	var listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve credentials on a local endpoint that emulates the EC2 instance metadata service (IMDSv2)",
		Long: `Serve IAM Roles Anywhere credentials on an endpoint that emulates the EC2
instance metadata service (IMDSv2), as aws_signing_helper serve does, so
that the AWS CLI and SDKs obtain them through their default credential
chain with

  export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9911/

It calls CreateSession once before it listens and refuses to start (exit
status 1) when that fails. It then refreshes the credentials in the
background 5 minutes before they expire (halfway through sessions shorter
than 10 minutes), with one refresh in flight at a time. When a refresh
fails it keeps answering with the last good credentials while they are
valid and retries; once they have expired a request triggers a refresh and
gets a 500 with the reason if that fails, never empty credentials.
SIGTERM and SIGINT stop it cleanly (exit status 0).

It listens on 127.0.0.1 unless --listen names another address (an IP
address or host name, optionally with :port; [::1] for IPv6 loopback).
Anyone who can reach a non-loopback address can obtain the role's
credentials, so roam warns about it; --hop-limit 1 (as on EC2) keeps the
answers from being routed beyond the local network segment.
` + keySourceHelp,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationHelper: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr, err := serveAddress(listen, port, cmd.Flags().Changed("port"))
			if err != nil {
				return usageError{err}
			}
			if hopLimit < 1 || hopLimit > 255 {
				return usageError{fmt.Errorf("invalid --hop-limit %d: it must be between 1 and 255", hopLimit)}
			}
			roleName, err := roleNameOf(flags.roleArn)
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), cmd, env, &flags, addr, roleName, hopLimit)
		},
	}
	flags.bind(cmd)
	f := cmd.Flags()
	f.IntVar(&port, "port", defaultServePort, "Port to listen on (0 picks a free one, which is logged)")
	f.StringVar(&listen, "listen", defaultServeListen, "Address to listen on (loopback unless you mean to share the credentials)")
	f.IntVar(&hopLimit, "hop-limit", helper.DefaultHopLimit, "IP TTL / IPv6 hop limit of the answers (1 keeps them on the local network segment)")
	return cmd
}

// roleNameOf returns the role name of a role ARN: the last segment of its
// resource, without the path.
func roleNameOf(roleArn string) (string, error) {
	a, err := arn.Parse(roleArn)
	if err != nil || a.ResourceType() != "role" || a.Name() == "" {
		return "", fmt.Errorf("invalid role ARN %q: serve needs --role-arn arn:aws:iam::ACCOUNT:role/NAME", roleArn)
	}
	return a.Name(), nil
}

// serveAddress combines --listen and --port into a host:port to listen on.
func serveAddress(listen string, port int, portSet bool) (string, error) {
	if port < 0 || port > 65535 {
		return "", fmt.Errorf("invalid --port %d: it must be between 0 and 65535", port)
	}
	host := listen
	if h, p, err := net.SplitHostPort(listen); err == nil {
		if portSet {
			return "", fmt.Errorf("--listen %s already has a port; drop --port or the port in --listen", listen)
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return "", fmt.Errorf("invalid port in --listen %s", listen)
		}
		host, port = h, n
	} else if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return "", errors.New("--listen needs an address, e.g. 127.0.0.1, [::1] or 0.0.0.0")
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// isLoopback reports whether host (of a listen address) only accepts
// connections from this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// endpointHost is the host to put in the export hint for a listener.
func endpointHost(listenHost string, bound net.Addr) string {
	ip := net.ParseIP(listenHost)
	switch {
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		return "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		return "[::1]"
	case ip != nil && ip.To4() == nil:
		return "[" + listenHost + "]"
	case ip == nil && bound != nil:
		if ta, ok := bound.(*net.TCPAddr); ok && ta.IP != nil && !ta.IP.IsUnspecified() {
			if ta.IP.To4() != nil {
				return ta.IP.String()
			}
			return "[" + ta.IP.String() + "]"
		}
	}
	return listenHost
}

func runServe(ctx context.Context, cmd *cobra.Command, env *Env, flags *sessionFlags, addr, roleName string, hopLimit int) error {
	logger := helper.NewLogger(env.Stderr, env.Now)
	src, err := flags.open(cmd, env)
	if err != nil {
		return err
	}
	defer src.Close()
	fetch := flags.fetcher(env, src)
	refresher := helper.NewRefresher(helper.RefresherConfig{
		Fetch: func(ctx context.Context) (*helper.Credentials, error) {
			if flags.debug {
				logger.Printf("Generating credentials")
			}
			return fetch(ctx)
		},
		Now:    env.Now,
		Logger: logger,
	})
	imds, err := helper.NewIMDS(helper.IMDSConfig{RoleName: roleName, Credentials: refresher.Current, Now: env.Now, Logger: logger})
	if err != nil {
		return err
	}
	if err := refresher.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("unable to obtain credentials, not starting the metadata endpoint: %w", err)
	}

	host, _, _ := net.SplitHostPort(addr)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("failed to create listener on %s: %w", addr, err)
	}
	ln, err = helper.NewHopLimitListener(ln, hopLimit, logger)
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if !isLoopback(host) {
		logger.Printf("WARNING: serving credentials on %s, which is not a loopback address: anyone who can reach it can obtain credentials for %s", ln.Addr(), flags.roleArn)
		if hopLimit != 1 {
			logger.Printf("WARNING: pass --hop-limit 1 so that answers cannot be routed beyond the local network segment (as on EC2)")
		}
	}
	logger.Printf("Local server started on port: %d", port)
	logger.Printf("Make it available to the sdk by running:")
	logger.Printf("export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://%s:%d/", endpointHost(host, ln.Addr()), port)

	srv := &http.Server{Handler: imds, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go refresher.Run(runCtx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("metadata endpoint stopped: %w", err)
	case <-ctx.Done():
	}
	logger.Printf("Shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	<-served
	return nil
}
