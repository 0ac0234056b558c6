// Package rolesanywhere serves the IAM Roles Anywhere API: the SigV4-signed
// REST-JSON control plane (trust anchors, profiles, CRLs, subjects,
// attribute mappings, notification settings, tags) with the paths, status
// codes and shapes of the service model, and the X.509-signed CreateSession
// data plane.
package rolesanywhere

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/store"
)

// Authorizer decides whether the request's principal may perform action on
// resource. It returns nil to allow, or an *apierror.Error to deny.
type Authorizer interface {
	Authorize(ctx context.Context, req auth.Request) error
}

// Config holds the control plane's dependencies.
type Config struct {
	Store      store.Store
	Scope      arn.Scope
	Authorizer Authorizer
	Now        func() time.Time
	// Sessions decides CreateSession; nil disables the data plane.
	Sessions *session.Service
}

// Handler serves the control plane.
type Handler struct {
	store    store.Store
	scope    arn.Scope
	authz    Authorizer
	now      func() time.Time
	sessions *session.Service
	mux      *http.ServeMux
}

// New returns the control-plane handler.
func New(cfg Config) *Handler {
	h := &Handler{store: cfg.Store, scope: cfg.Scope, authz: cfg.Authorizer, now: cfg.Now, sessions: cfg.Sessions, mux: http.NewServeMux()}
	h.routes()
	return h
}

// operation is a control-plane operation: a handler that returns an error
// instead of writing one.
type operation func(w http.ResponseWriter, r *http.Request) error

func (h *Handler) handle(pattern, name string, op operation) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		httpapi.SetOperation(r, "rolesanywhere", name)
		if err := op(w, r); err != nil {
			httpapi.WriteJSONError(w, r, err)
		}
	})
}

func (h *Handler) routes() {
	h.handle("POST /trustanchors", "CreateTrustAnchor", h.createTrustAnchor)
	h.handle("GET /trustanchors", "ListTrustAnchors", h.listTrustAnchors)
	h.handle("GET /trustanchor/{trustAnchorId}", "GetTrustAnchor", h.getTrustAnchor)
	h.handle("PATCH /trustanchor/{trustAnchorId}", "UpdateTrustAnchor", h.updateTrustAnchor)
	h.handle("DELETE /trustanchor/{trustAnchorId}", "DeleteTrustAnchor", h.deleteTrustAnchor)
	h.handle("POST /trustanchor/{trustAnchorId}/enable", "EnableTrustAnchor", h.enableTrustAnchor)
	h.handle("POST /trustanchor/{trustAnchorId}/disable", "DisableTrustAnchor", h.disableTrustAnchor)
	h.handle("PATCH /put-notifications-settings", "PutNotificationSettings", h.putNotificationSettings)
	h.handle("PATCH /reset-notifications-settings", "ResetNotificationSettings", h.resetNotificationSettings)

	h.handle("POST /profiles", "CreateProfile", h.createProfile)
	h.handle("GET /profiles", "ListProfiles", h.listProfiles)
	h.handle("GET /profile/{profileId}", "GetProfile", h.getProfile)
	h.handle("PATCH /profile/{profileId}", "UpdateProfile", h.updateProfile)
	h.handle("DELETE /profile/{profileId}", "DeleteProfile", h.deleteProfile)
	h.handle("POST /profile/{profileId}/enable", "EnableProfile", h.enableProfile)
	h.handle("POST /profile/{profileId}/disable", "DisableProfile", h.disableProfile)
	h.handle("PUT /profiles/{profileId}/mappings", "PutAttributeMapping", h.putAttributeMapping)
	h.handle("DELETE /profiles/{profileId}/mappings", "DeleteAttributeMapping", h.deleteAttributeMapping)

	h.handle("POST /crls", "ImportCrl", h.importCrl)
	h.handle("GET /crls", "ListCrls", h.listCrls)
	h.handle("GET /crl/{crlId}", "GetCrl", h.getCrl)
	h.handle("PATCH /crl/{crlId}", "UpdateCrl", h.updateCrl)
	h.handle("DELETE /crl/{crlId}", "DeleteCrl", h.deleteCrl)
	h.handle("POST /crl/{crlId}/enable", "EnableCrl", h.enableCrl)
	h.handle("POST /crl/{crlId}/disable", "DisableCrl", h.disableCrl)

	h.handle("GET /subjects", "ListSubjects", h.listSubjects)
	h.handle("GET /subject/{subjectId}", "GetSubject", h.getSubject)

	h.handle("POST /TagResource", "TagResource", h.tagResource)
	h.handle("POST /UntagResource", "UntagResource", h.untagResource)
	h.handle("GET /ListTagsForResource", "ListTagsForResource", h.listTagsForResource)

	h.handle("POST "+ExplainPath, "ExplainCreateSession", h.explain)

	h.handle("/", "Unknown", func(_ http.ResponseWriter, r *http.Request) error {
		return apierror.New(http.StatusNotFound, "UnknownOperationException", "No operation matches %s %s", r.Method, r.URL.Path)
	})
}

// ServeHTTP serves authenticated control-plane requests.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// authorize checks that the caller may perform rolesanywhere:action.
// Creating a resource with tags also needs rolesanywhere:TagResource, as
// on AWS.
func (h *Handler) authorize(r *http.Request, action, resource string, extra map[string][]string) error {
	if err := h.authz.Authorize(r.Context(), auth.Request{Action: "rolesanywhere:" + action, Resource: resource, Context: extra}); err != nil {
		return err
	}
	if (strings.HasPrefix(action, "Create") || action == "ImportCrl") && len(extra["aws:TagKeys"]) > 0 {
		return h.authz.Authorize(r.Context(), auth.Request{Action: "rolesanywhere:TagResource", Resource: resource, Context: extra})
	}
	return nil
}

// caller returns the ARN of the request's principal.
func caller(r *http.Request) string {
	if p := auth.PrincipalFrom(r.Context()); p != nil {
		return p.Arn
	}
	return ""
}

func newID() string { return uuid.NewString() }

// pathID returns a path parameter after checking it is a resource ID.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	var v validator
	v.id(name, id)
	return id, v.err()
}

// listPage reads nextToken and pageSize from the query string.
func listPage(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	var v validator
	p := store.Page{Token: q.Get("nextToken")}
	if q.Has("nextToken") {
		v.str("nextToken", p.Token, 1, 10000, nil)
	}
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, apierror.Validation("Value '%s' at 'pageSize' failed to satisfy constraint: Member must be an integer", truncate(s))
		}
		v.intRange("pageSize", int64(n), 1, 1000)
		p.Size = n
	}
	return p, v.err()
}

// storeError maps store sentinel errors to API errors.
func storeError(err error, kind string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apierror.NotFound("%s not found", kind)
	case errors.Is(err, store.ErrInvalidPageToken):
		return apierror.Validation("Invalid nextToken")
	}
	return err
}
