//go:build !helper

package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/server"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newServerCmd(env)) })
}

type serverArgs struct {
	listen       string
	dataDir      string
	region       string
	accountID    string
	tlsCert      string
	tlsKey       string
	insecureHTTP bool
	logFormat    string
	logLevel     string
	auditLog     string
}

func (a *serverArgs) bind(cmd *cobra.Command, defaultListen string) {
	f := cmd.Flags()
	f.StringVar(&a.listen, "listen", defaultListen, "address to listen on (HOST:PORT); plain HTTP only on loopback")
	f.StringVar(&a.dataDir, "data-dir", a.dataDir, "directory for the database and the admin credentials")
	f.StringVar(&a.region, "region", "", "region the server acts as, on first start (default us-east-1)")
	f.StringVar(&a.accountID, "account-id", "", "12-digit account ID, on first start (default: random)")
	f.StringVar(&a.tlsCert, "tls-cert", "", "PEM certificate (chain) for HTTPS")
	f.StringVar(&a.tlsKey, "tls-key", "", "PEM private key for HTTPS")
	f.BoolVar(&a.insecureHTTP, "insecure-http", false, "allow plain HTTP on a non-loopback address (credentials travel in clear text)")
	f.StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&a.auditLog, "audit-log", "", `CreateSession audit log, one JSON line per decision (default DATA-DIR/audit.log; "-" for none)`)
}

func (a *serverArgs) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", a.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format %q: want text or json", a.logFormat)}
}

func (a *serverArgs) config(env *Env) (server.Config, error) {
	logger, err := a.logger(env.Stderr)
	if err != nil {
		return server.Config{}, err
	}
	if a.dataDir == "" {
		return server.Config{}, usageError{fmt.Errorf("--data-dir is required")}
	}
	return server.Config{
		Listen: a.listen, DataDir: a.dataDir, Region: a.region, AccountID: a.accountID,
		TLSCert: a.tlsCert, TLSKey: a.tlsKey, InsecureHTTP: a.insecureHTTP, AuditLog: a.auditLog,
		Logger: logger, Now: env.Now,
	}, nil
}

func newServerCmd(env *Env) *cobra.Command {
	var args serverArgs
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the roam service (Roles Anywhere, IAM, STS) on one listener",
		Long: `Run the roam service: the IAM Roles Anywhere control plane and CreateSession,
the IAM roles and policies they need, and STS, on one listener.

On first start the data directory gets the account and its root keys, written
to DATA-DIR/admin-credentials (AWS shared-credentials format, mode 0600):

  AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/admin-credentials \
    aws --endpoint-url http://HOST:PORT rolesanywhere list-trust-anchors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := args.config(env)
			if err != nil {
				return err
			}
			return runServer(cmd.Context(), cfg, func(s *server.Server, url string) {
				cfg.Logger.Info("roam server listening", "url", url, "account", s.Account().ID, "region", s.Account().Region,
					"admin_credentials", filepath.Join(cfg.DataDir, server.AdminCredentialsFile))
			})
		},
	}
	args.bind(cmd, "127.0.0.1:8443")
	return cmd
}

// runServer opens the server, calls ready once it listens, and serves until
// ctx is cancelled (SIGINT/SIGTERM).
func runServer(ctx context.Context, cfg server.Config, ready func(*server.Server, string)) error {
	s, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, url, err := s.Listen()
	if err != nil {
		return err
	}
	ready(s, url)
	return s.Serve(ctx, ln)
}
