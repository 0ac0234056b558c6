// Package iam serves the part of the AWS IAM API that roam needs, the
// roles and customer managed policies that Roles Anywhere profiles hand
// out, over IAM's query protocol: form-encoded Action=...&Version=2010-05-08
// requests, answered with the XML documents, error codes and messages IAM
// sends, so the AWS CLI and SDKs work against roam unchanged.
//
// Policy documents are checked by an injected validator (the policy
// engine) and stored verbatim; responses return them URL-encoded as IAM
// does. Every operation is authorized, before it acts, as the IAM action
// iam:<Action> on the resource's ARN.
package iam

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/store"
)

// Namespace is the XML namespace of IAM's responses.
const Namespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// APIVersion is the only IAM API version there is.
const APIVersion = "2010-05-08"

// Authorizer decides whether the request's principal may perform an
// action on a resource. It returns nil to allow, or an *apierror.Error to
// deny.
type Authorizer interface {
	Authorize(ctx context.Context, req auth.Request) error
}

// Config holds the handler's dependencies.
type Config struct {
	// Store holds roles and policies. Required.
	Store store.Store
	// Scope is the partition and account the roles and policies live in.
	Scope arn.Scope
	// Authorizer is asked before every operation. Required.
	Authorizer Authorizer
	// ValidatePolicy checks a policy document: a role trust policy when
	// trust is true, a permission policy otherwise. Its error's message
	// becomes the MalformedPolicyDocument message the caller sees, so it
	// should read like IAM's ("Syntax errors in policy."). When nil,
	// documents are only checked to be JSON objects.
	ValidatePolicy func(document string, trust bool) error
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives internal failures; discarded when nil.
	Logger *slog.Logger
}

// Handler serves IAM's query protocol on any path.
type Handler struct {
	store    store.Store
	scope    arn.Scope
	authz    Authorizer
	validate func(document string, trust bool) error
	now      func() time.Time
	logger   *slog.Logger
	ops      map[string]operation
}

// operation serves one action: it reads its parameters from f, and
// returns the result to render under <ActionResult> (nil for actions that
// have none) or an error.
type operation func(ctx context.Context, f *form) (result any, err error)

// New returns the IAM handler. It panics if Store or Authorizer is missing:
// serving IAM unauthorized is never what anyone meant.
func New(cfg Config) *Handler {
	if cfg.Store == nil || cfg.Authorizer == nil {
		panic("iam: Config.Store and Config.Authorizer are required")
	}
	h := &Handler{
		store:    cfg.Store,
		scope:    cfg.Scope,
		authz:    cfg.Authorizer,
		validate: cfg.ValidatePolicy,
		now:      cfg.Now,
		logger:   cfg.Logger,
	}
	if h.validate == nil {
		h.validate = validateJSONObject
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	h.ops = map[string]operation{
		"CreateRole":             h.createRole,
		"GetRole":                h.getRole,
		"ListRoles":              h.listRoles,
		"UpdateRole":             h.updateRole,
		"UpdateRoleDescription":  h.updateRoleDescription,
		"DeleteRole":             h.deleteRole,
		"UpdateAssumeRolePolicy": h.updateAssumeRolePolicy,
		"TagRole":                h.tagRole,
		"UntagRole":              h.untagRole,
		"ListRoleTags":           h.listRoleTags,

		"PutRolePolicy":            h.putRolePolicy,
		"GetRolePolicy":            h.getRolePolicy,
		"DeleteRolePolicy":         h.deleteRolePolicy,
		"ListRolePolicies":         h.listRolePolicies,
		"AttachRolePolicy":         h.attachRolePolicy,
		"DetachRolePolicy":         h.detachRolePolicy,
		"ListAttachedRolePolicies": h.listAttachedRolePolicies,

		"CreatePolicy":            h.createPolicy,
		"GetPolicy":               h.getPolicy,
		"ListPolicies":            h.listPolicies,
		"DeletePolicy":            h.deletePolicy,
		"CreatePolicyVersion":     h.createPolicyVersion,
		"GetPolicyVersion":        h.getPolicyVersion,
		"ListPolicyVersions":      h.listPolicyVersions,
		"DeletePolicyVersion":     h.deletePolicyVersion,
		"SetDefaultPolicyVersion": h.setDefaultPolicyVersion,
	}
	return h
}

// ServeHTTP serves one authenticated IAM request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action, result, err := h.serve(w, r)
	if err != nil {
		e := queryError(err)
		if e.Status >= http.StatusInternalServerError {
			h.logger.ErrorContext(r.Context(), "iam request failed", "action", action, "request_id", httpapi.RequestFrom(r.Context()).ID, "error", e)
		}
		httpapi.WriteXMLError(w, r, Namespace, e)
		return
	}
	httpapi.WriteXML(w, r, Namespace, action, result)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (action string, result any, err error) {
	values, err := httpapi.ReadParams(w, r)
	if err != nil {
		return "", nil, err
	}
	f := &form{values: values}
	action, _ = f.lookup("Action")
	if action == "" {
		return "", nil, apierror.New(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
	}
	// A request without Version is taken to mean the only version there is.
	version, ok := f.lookup("Version")
	if !ok {
		version = APIVersion
	}
	op := h.ops[action]
	if op == nil || version != APIVersion {
		return action, nil, invalidAction(action, version)
	}
	httpapi.SetOperation(r, "iam", action)
	if auth.PrincipalFrom(r.Context()) == nil {
		return action, nil, apierror.New(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	result, err = op(r.Context(), f)
	return action, result, err
}

// authorize asks whether the caller may perform iam:action on resource.
func (h *Handler) authorize(ctx context.Context, action, resource string, condition map[string][]string) error {
	return h.authz.Authorize(ctx, auth.Request{Action: "iam:" + action, Resource: resource, Context: condition})
}

// authorizeRole loads the named role and authorizes iam:action on its ARN.
// When the role does not exist, the question is asked about the ARN the
// role would have at path "/", and only an allowed caller learns that the
// role does not exist: existence never leaks past a denial.
func (h *Handler) authorizeRole(ctx context.Context, action, name string, condition map[string][]string) (*store.Role, error) {
	role, err := h.store.GetRole(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := h.authorize(ctx, action, h.scope.Role("/", name), condition); err != nil {
			return nil, err
		}
		return nil, noSuchRole(name)
	case err != nil:
		return nil, err
	}
	if err := h.authorize(ctx, action, h.scope.Role(role.Path, role.Name), condition); err != nil {
		return nil, err
	}
	return role, nil
}

// checkDocument runs the policy validator, mapping its verdict to
// MalformedPolicyDocument.
func (h *Handler) checkDocument(document string, trust bool) error {
	if err := h.validate(document, trust); err != nil {
		var e *apierror.Error
		if errors.As(err, &e) {
			return malformedPolicyDocument(e.Message)
		}
		return malformedPolicyDocument(err.Error())
	}
	return nil
}

// validateJSONObject is the fallback validator when none is configured.
func validateJSONObject(document string, _ bool) error {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(document), &m) != nil {
		return errors.New("This policy contains invalid Json")
	}
	return nil
}

func noSuchRole(name string) error {
	return noSuchEntity("The role with name %s cannot be found.", name)
}
