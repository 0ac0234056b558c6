package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"

	"github.com/roam-dev/roam/internal/httpapi"
)

// statusWriter remembers the status code for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// instrument wraps every request: a request ID (x-amzn-RequestId), panic
// recovery into a 500 InternalFailure, an access log line and metrics.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &httpapi.Request{ID: uuid.NewString(), SourceIP: httpapi.RemoteIP(r), UserAgent: r.UserAgent(), Secure: r.TLS != nil}
		r = r.WithContext(httpapi.WithRequest(r.Context(), rec))
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("x-amzn-RequestId", rec.ID)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.Error("panic serving request", "request_id", rec.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					httpapi.WriteJSONError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			s.logRequest(r, rec, sw, time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) logRequest(r *http.Request, rec *httpapi.Request, w *statusWriter, d time.Duration) {
	if rec.Service == "" && (r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics") {
		return
	}
	service, op := rec.Service, rec.Operation
	if service == "" {
		service = "unknown"
	}
	s.metrics.observe(service, op, w.status, d)
	attrs := []slog.Attr{
		slog.String("request_id", rec.ID),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("service", service),
		slog.String("operation", op),
		slog.Int("status", w.status),
		slog.Duration("duration", d),
		slog.String("remote", rec.SourceIP),
	}
	if rec.Caller != "" {
		attrs = append(attrs, slog.String("caller", rec.Caller))
	}
	level := slog.LevelInfo
	if e := rec.Err; e != nil {
		attrs = append(attrs, slog.String("error_code", e.Code), slog.String("error", e.Message))
		if e.Detail != "" {
			attrs = append(attrs, slog.String("why", e.Detail))
		}
		if e.Cause != nil {
			attrs = append(attrs, slog.String("cause", e.Cause.Error()))
		}
		level = slog.LevelWarn
		if e.Status >= 500 {
			level = slog.LevelError
		}
	}
	s.logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// errorWriter picks the error encoding of the protocol a request speaks.
type errorWriter func(w http.ResponseWriter, r *http.Request, err error)

func jsonErrors(w http.ResponseWriter, r *http.Request, err error) { httpapi.WriteJSONError(w, r, err) }

func queryErrors(namespace string) errorWriter {
	return func(w http.ResponseWriter, r *http.Request, err error) { httpapi.WriteXMLError(w, r, namespace, err) }
}
