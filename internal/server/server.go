// Package server runs roam's one listener: the Roles Anywhere control plane
// and CreateSession, IAM and STS, health and metrics endpoints, with
// request IDs, access logs, panic recovery and TLS policy around them.
package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/audit"
	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/fsutil"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/iam"
	"github.com/roam-dev/roam/internal/policy"
	"github.com/roam-dev/roam/internal/rolesanywhere"
	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/snapshot"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/store/sqlite"
	"github.com/roam-dev/roam/internal/sts"
)

// Config configures a server.
type Config struct {
	// Listen is the HOST:PORT to listen on.
	Listen string
	// DataDir holds the SQLite database and the admin credentials file.
	DataDir string
	// Region and AccountID apply when the data directory is first created.
	Region    string
	AccountID string
	// TLSCert and TLSKey enable HTTPS. Plain HTTP is refused on non-loopback
	// addresses unless InsecureHTTP is set.
	TLSCert, TLSKey string
	InsecureHTTP    bool
	// AuditLog is the CreateSession audit log file; empty means
	// DataDir/audit.log, "-" means none.
	AuditLog string
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is a configured roam server.
type Server struct {
	cfg       Config
	logger    *slog.Logger
	now       func() time.Time
	store     store.Store
	account   *store.Account
	snapshots *snapshot.Loader
	authn     *auth.Authenticator
	sessions  *session.Service
	auditLog  *audit.Log
	metrics   *metrics

	controlPlane *rolesanywhere.Handler
	iam          http.Handler
	sts          http.Handler
	handler      http.Handler
}

// New opens the data directory (creating the account on first start) and
// builds the server. Close releases the store.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DataDir == "" {
		return nil, errors.New("a data directory is required")
	}
	if err := fsutil.MkdirPrivate(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "roam.db"))
	if err != nil {
		return nil, err
	}
	s, err := newServer(ctx, cfg, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func newServer(ctx context.Context, cfg Config, st store.Store) (*Server, error) {
	// Request IDs are random UUIDs; drawing their randomness in batches
	// keeps a getrandom call off every request.
	uuid.EnableRandPool()
	acct, err := bootstrap(ctx, st, cfg.DataDir, cfg.AccountID, cfg.Region, cfg.Now())
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: cfg.Logger, now: cfg.Now, store: st, account: acct, metrics: newMetrics()}
	s.snapshots, err = snapshot.NewLoader(ctx, st)
	if err != nil {
		return nil, err
	}
	scope := arn.Scope{Partition: acct.Partition, Region: acct.Region, Account: acct.ID}
	s.authn = &auth.Authenticator{Snapshots: s.snapshots, Now: s.now}
	authz := &auth.Authorizer{Snapshots: s.snapshots, Now: s.now}
	if path := cfg.AuditLog; path != "-" {
		if path == "" {
			path = filepath.Join(cfg.DataDir, "audit.log")
		}
		if s.auditLog, err = audit.Open(path); err != nil {
			return nil, err
		}
	}
	recorder := session.NewRecorder(st, time.Second, s.logger)
	s.sessions = session.New(session.Config{Snapshots: s.snapshots, Now: s.now, Audit: s.logger.With("log", "audit"), AuditLog: s.auditLog, Subjects: recorder})
	s.controlPlane = rolesanywhere.New(rolesanywhere.Config{Store: st, Scope: scope, Authorizer: authz, Now: s.now, Sessions: s.sessions})
	s.iam = iam.New(iam.Config{Store: st, Scope: scope, Authorizer: authz, Now: s.now, Logger: s.logger, ValidatePolicy: validatePolicy})
	s.sts = sts.New(sts.Config{Partition: acct.Partition, Logger: s.logger})
	s.handler = s.instrument(s.routes())
	return s, nil
}

// validatePolicy checks an IAM policy document for the IAM API.
func validatePolicy(doc string, trust bool) error {
	kind := policy.IdentityPolicy
	if trust {
		kind = policy.TrustPolicy
	}
	_, err := policy.ParseString(doc, kind)
	return err
}

// Account returns the account the server serves.
func (s *Server) Account() *store.Account { return s.account }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the server's resources.
func (s *Server) Close() error {
	s.sessions.Close()
	var err error
	if s.auditLog != nil {
		err = s.auditLog.Close()
	}
	return errors.Join(err, s.store.Close())
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.store.Version(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.Handle("POST /sessions", s.controlPlane.SessionHandler())
	mux.HandleFunc("/", s.signedAPI)
	return mux
}

// signedAPI serves every SigV4-signed request: it authenticates the caller
// and dispatches on the service named in the credential scope.
func (s *Server) signedAPI(w http.ResponseWriter, r *http.Request) {
	writeErr := s.errorWriterFor(r, "")
	body, err := httpapi.ReadBody(w, r, httpapi.MaxBodyBytes)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p, service, err := s.authn.Authenticate(r.Context(), r, body)
	if service != "" {
		writeErr = s.errorWriterFor(r, service)
	}
	if err != nil {
		// The scope's service is the caller's text: only known names
		// become metric labels.
		label := "unknown"
		switch service {
		case "rolesanywhere", "iam", "sts":
			label = service
		}
		httpapi.SetOperation(r, label, "Authenticate")
		writeErr(w, r, authError(err, s.speaksQuery(r, service)))
		return
	}
	httpapi.RequestFrom(r.Context()).Caller = p.Arn
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	switch service {
	case "rolesanywhere":
		s.controlPlane.ServeHTTP(w, r)
	case "iam":
		s.iam.ServeHTTP(w, r)
	case "sts":
		s.sts.ServeHTTP(w, r)
	default:
		writeErr(w, r, apierror.New(http.StatusBadRequest, "UnknownServiceException", "roam does not serve the %q service (it serves rolesanywhere, iam and sts)", service))
	}
}

// speaksQuery reports whether the request uses the query protocol.
func (s *Server) speaksQuery(r *http.Request, service string) bool {
	switch service {
	case "iam", "sts":
		return true
	case "rolesanywhere":
		return false
	}
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Has("Action")
}

// errorWriterFor picks the error encoding for a request: by the service in
// its credential scope when known, else by its shape (form-encoded or
// Action= requests speak the query protocol).
func (s *Server) errorWriterFor(r *http.Request, service string) errorWriter {
	switch {
	case service == "iam":
		return queryErrors(iam.Namespace)
	case s.speaksQuery(r, service):
		return queryErrors(sts.Namespace)
	}
	return jsonErrors
}

// Serve accepts connections on ln until ctx is done, then shuts down
// gracefully, letting requests in flight finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if err != nil {
		// Requests outlived the grace period: cut their connections.
		// Their audit records, if any come, are reported lost.
		s.logger.Warn("shutdown grace period over: closing the remaining connections", "error", err)
		err = srv.Close()
	}
	<-errc
	return err
}

// Listen opens the configured listener, applying the TLS policy: plain HTTP
// only on loopback addresses unless InsecureHTTP is set.
func (s *Server) Listen() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().(*net.TCPAddr)
	scheme := "http"
	if s.cfg.TLSCert != "" || s.cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return nil, "", fmt.Errorf("TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	} else if !addr.IP.IsLoopback() {
		if !s.cfg.InsecureHTTP {
			ln.Close()
			return nil, "", fmt.Errorf("refusing plain HTTP on non-loopback address %s: pass --tls-cert and --tls-key (or --insecure-http to accept the risk)", s.cfg.Listen)
		}
		s.logger.Warn("serving plain HTTP on a non-loopback address: credentials and keys cross the network in clear text", "listen", s.cfg.Listen)
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return ln, fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, fmt.Sprint(addr.Port))), nil
}
