package rolesanywhere

import (
	"net/http"
	"time"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/httpapi"
)

// maxSessionBody bounds a CreateSession body: a few small members.
const maxSessionBody = 64 << 10

type credentialsOut struct {
	AccessKeyID     string `json:"accessKeyId"`
	Expiration      string `json:"expiration"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
}

type assumedRoleUser struct {
	Arn           string `json:"arn"`
	AssumedRoleID string `json:"assumedRoleId"`
}

type credentialSetItem struct {
	AssumedRoleUser  assumedRoleUser `json:"assumedRoleUser"`
	Credentials      credentialsOut  `json:"credentials"`
	PackedPolicySize int             `json:"packedPolicySize"`
	RoleArn          string          `json:"roleArn"`
	SourceIdentity   string          `json:"sourceIdentity"`
}

type createSessionOutput struct {
	CredentialSet []credentialSetItem `json:"credentialSet"`
	SubjectArn    string              `json:"subjectArn"`
}

// SessionHandler serves CreateSession (POST /sessions), authenticated by
// the X.509 request signature rather than SigV4.
func (h *Handler) SessionHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpapi.SetOperation(r, "rolesanywhere", "CreateSession")
		if err := h.createSession(w, r); err != nil {
			httpapi.WriteJSONError(w, r, err)
		}
	})
}

func (h *Handler) createSession(w http.ResponseWriter, r *http.Request) error {
	if h.sessions == nil {
		return apierror.New(http.StatusNotImplemented, "NotImplemented", "CreateSession is not served here")
	}
	body, err := httpapi.ReadBody(w, r, maxSessionBody)
	if err != nil {
		return err
	}
	res, err := h.sessions.CreateSession(r.Context(), r, body)
	if err != nil {
		return err
	}
	c := res.Credentials
	httpapi.WriteJSON(w, http.StatusCreated, createSessionOutput{
		CredentialSet: []credentialSetItem{{
			AssumedRoleUser: assumedRoleUser{Arn: res.AssumedRoleArn, AssumedRoleID: res.AssumedRoleID},
			Credentials: credentialsOut{
				AccessKeyID:     c.AccessKeyID,
				Expiration:      c.Expiration.UTC().Format(time.RFC3339),
				SecretAccessKey: c.SecretAccessKey.Reveal(),
				SessionToken:    c.SessionToken.Reveal(),
			},
			PackedPolicySize: res.PackedPolicySize,
			RoleArn:          res.RoleArn,
			SourceIdentity:   res.SourceIdentity,
		}},
		SubjectArn: res.SubjectArn,
	})
	return nil
}
