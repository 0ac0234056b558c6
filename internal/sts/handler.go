// Package sts serves the one AWS STS action roam answers,
// GetCallerIdentity, over STS's query protocol (Action=...&Version=2011-06-15,
// XML answers), so `aws sts get-caller-identity` tells a caller who roam
// thinks they are: the account's root user or a Roles Anywhere role session.
//
// roam issues temporary credentials only through IAM Roles Anywhere's
// CreateSession; STS's credential-issuing actions (AssumeRole and the
// like) are refused with InvalidAction and a message that says so.
package sts

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/httpapi"
)

// Namespace is the XML namespace of STS's responses.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// APIVersion is the STS API version.
const APIVersion = "2011-06-15"

// Config holds the handler's dependencies.
type Config struct {
	// Partition is the partition of the ARNs returned ("aws" when empty).
	Partition string
	// Logger receives internal failures; discarded when nil.
	Logger *slog.Logger
}

// Handler serves STS's query protocol on any path.
type Handler struct {
	partition string
	logger    *slog.Logger
}

// New returns the STS handler.
func New(cfg Config) *Handler {
	h := &Handler{partition: cfg.Partition, logger: cfg.Logger}
	if h.partition == "" {
		h.partition = "aws"
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h
}

// unsupported are the STS actions that issue credentials or decode
// messages: real actions that roam deliberately does not serve.
var unsupported = []string{
	"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot",
	"DecodeAuthorizationMessage", "GetAccessKeyInfo", "GetDelegatedAccessToken",
	"GetFederationToken", "GetSessionToken", "GetWebIdentityToken",
}

type callerIdentity struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// ServeHTTP serves one authenticated STS request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	result, err := h.serve(w, r)
	if err != nil {
		e := apierror.As(err)
		if e.Status >= http.StatusInternalServerError {
			h.logger.ErrorContext(r.Context(), "sts request failed", "request_id", httpapi.RequestFrom(r.Context()).ID, "error", e)
		}
		httpapi.WriteXMLError(w, r, Namespace, e)
		return
	}
	httpapi.WriteXML(w, r, Namespace, "GetCallerIdentity", result)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (*callerIdentity, error) {
	params, err := httpapi.ReadParams(w, r)
	if err != nil {
		return nil, err
	}
	action, version := params.Get("Action"), params.Get("Version")
	if action == "" {
		return nil, apierror.New(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action.")
	}
	if version == "" {
		version = APIVersion
	}
	switch {
	case version != APIVersion:
		return nil, invalidAction(action, version)
	case slices.Contains(unsupported, action):
		return nil, apierror.New(http.StatusBadRequest, "InvalidAction",
			"roam does not support the STS action %s: temporary credentials come from IAM Roles Anywhere CreateSession", action)
	case action != "GetCallerIdentity":
		return nil, invalidAction(action, version)
	}
	httpapi.SetOperation(r, "sts", action)
	// GetCallerIdentity needs no permission: any authenticated caller may
	// ask who it is, even one whose policies deny sts:GetCallerIdentity.
	p := auth.PrincipalFrom(r.Context())
	if p == nil {
		return nil, apierror.New(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	return h.identify(p), nil
}

// identify describes the principal the way STS does. The answer is derived
// from the sealed session rather than echoed from the principal's own
// fields: a role session is arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/
// SESSION (no role path) with user ID ROLEID:SESSION; the root user is
// arn:PARTITION:iam::ACCOUNT:root with the account ID as its user ID.
func (h *Handler) identify(p *auth.Principal) *callerIdentity {
	if s := p.Session; s != nil {
		scope := arn.Scope{Partition: h.partition, Account: s.AccountID}
		return &callerIdentity{UserID: s.RoleID + ":" + s.SessionName, Account: s.AccountID, Arn: scope.AssumedRole(s.RoleName, s.SessionName)}
	}
	scope := arn.Scope{Partition: h.partition, Account: p.AccountID}
	return &callerIdentity{UserID: p.AccountID, Account: p.AccountID, Arn: scope.Root()}
}

func invalidAction(action, version string) error {
	return apierror.New(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, version)
}
