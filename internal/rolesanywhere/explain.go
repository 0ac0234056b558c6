package rolesanywhere

import (
	"errors"
	"net/http"
	"time"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/session"
)

// ExplainPath serves roam's own ExplainCreateSession operation: what
// CreateSession would decide for a certificate and three ARNs, rule by
// rule, without the private key. It is authorized as
// rolesanywhere:ExplainCreateSession.
const ExplainPath = "/roam/explain"

type explainInput struct {
	Certificate     *string    `json:"certificate"` // PEM
	Chain           string     `json:"chain"`       // PEM bundle
	TrustAnchorArn  string     `json:"trustAnchorArn"`
	ProfileArn      string     `json:"profileArn"`
	RoleArn         string     `json:"roleArn"`
	DurationSeconds *int64     `json:"durationSeconds"`
	RoleSessionName *string    `json:"roleSessionName"`
	At              *time.Time `json:"at"`
	SourceIP        string     `json:"sourceIp"`
}

func (h *Handler) explain(w http.ResponseWriter, r *http.Request) error {
	if h.sessions == nil {
		return apierror.New(http.StatusNotImplemented, "NotImplemented", "CreateSession is not served here")
	}
	var in explainInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	v.required("certificate", in.Certificate != nil)
	if err := v.err(); err != nil {
		return err
	}
	if err := h.authorize(r, "ExplainCreateSession", "*", nil); err != nil {
		return err
	}
	ein := session.ExplainInput{
		Certificate: []byte(*in.Certificate), Chain: []byte(in.Chain),
		TrustAnchorArn: in.TrustAnchorArn, ProfileArn: in.ProfileArn, RoleArn: in.RoleArn,
		DurationSeconds: in.DurationSeconds, RoleSessionName: in.RoleSessionName, SourceIP: in.SourceIP,
	}
	if in.At != nil {
		ein.At = *in.At
	}
	out, err := h.sessions.Explain(r.Context(), ein)
	if errors.Is(err, session.ErrExplainInput) {
		return apierror.Validation("%v", err)
	}
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}
