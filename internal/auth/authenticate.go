package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/sigv4"
	"github.com/roam-dev/roam/internal/snapshot"
)

// FailureKind classifies authentication failures; servers map them to
// their protocol's error codes.
type FailureKind int

const (
	// FailMissing: no SigV4 authentication.
	FailMissing FailureKind = iota + 1
	// FailIncomplete: malformed authentication.
	FailIncomplete
	// FailSignature: the signature (or its scope or time) does not verify.
	FailSignature
	// FailUnknownKey: the access key ID (or its session token) is not ours.
	FailUnknownKey
	// FailExpiredToken: the session credentials have expired.
	FailExpiredToken
)

// Failure is an authentication failure. Message is AWS's wording, safe for
// the caller; Detail is for the operator log.
type Failure struct {
	Kind    FailureKind
	Message string
	Detail  string
}

func (f *Failure) Error() string {
	if f.Detail == "" {
		return f.Message
	}
	return f.Message + " (" + f.Detail + ")"
}

// Messages AWS uses for the key and token failures.
const (
	MessageInvalidToken = "The security token included in the request is invalid."
	MessageExpiredToken = "The security token included in the request is expired"
)

// MaxSkew is how far a SigV4 signing time may be from the server's clock.
const MaxSkew = 15 * time.Minute

// Authenticator verifies SigV4-signed requests against the account's root
// keys and roam's sealed session credentials.
type Authenticator struct {
	Snapshots *snapshot.Loader
	Now       func() time.Time
}

// Authenticate verifies r (whose body has been read into body) and returns
// the caller and the service named by the credential scope. The service is
// returned even on failure when the scope could be read, so the caller can
// answer in that service's protocol.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte) (*Principal, string, error) {
	req, err := sigv4.ParseRequest(r, body)
	if err != nil {
		return nil, "", fromSigV4(err)
	}
	service := req.Scope.Service
	snap, err := a.Snapshots.Current(ctx)
	if err != nil {
		return nil, service, err
	}
	if err := req.CheckTime(a.Now(), MaxSkew); err != nil {
		return nil, service, fromSigV4(err)
	}
	if !regionAllowed(service, req.Scope.Region, snap.Account.Region) {
		return nil, service, &Failure{Kind: FailSignature,
			Message: "Credential should be scoped to a valid region, not '" + req.Scope.Region + "'. ",
			Detail:  "this server serves region " + snap.Account.Region}
	}
	p, secret, err := a.lookup(snap, req)
	if err != nil {
		return nil, service, err
	}
	if err := req.Verify(secret); err != nil {
		return nil, service, fromSigV4(err)
	}
	httpapi.RequestFrom(ctx).Region = req.Scope.Region
	return p, service, nil
}

// lookup finds the principal and secret behind the request's access key.
func (a *Authenticator) lookup(snap *snapshot.Snapshot, req *sigv4.Request) (*Principal, string, error) {
	acct := snap.Account
	if strings.HasPrefix(req.AccessKeyID, "ASIA") {
		if req.SessionToken == "" {
			return nil, "", &Failure{Kind: FailUnknownKey, Message: MessageInvalidToken, Detail: "temporary access key " + req.AccessKeyID + " sent without a session token"}
		}
		s, err := snap.Keyring.Open(req.AccessKeyID, req.SessionToken, a.Now())
		switch {
		case errors.Is(err, credentials.ErrExpired):
			return nil, "", &Failure{Kind: FailExpiredToken, Message: MessageExpiredToken,
				Detail: "session of role " + s.RoleName + " expired at " + s.Expires().Format(time.RFC3339)}
		case err != nil:
			return nil, "", &Failure{Kind: FailUnknownKey, Message: MessageInvalidToken, Detail: err.Error()}
		case s.AccountID != acct.ID:
			return nil, "", &Failure{Kind: FailUnknownKey, Message: MessageInvalidToken, Detail: "session token of another account"}
		}
		return &Principal{
			AccountID: acct.ID,
			Arn:       snap.Scope.AssumedRole(s.RoleName, s.SessionName),
			UserID:    s.RoleID + ":" + s.SessionName,
			Session:   s,
		}, s.SecretKey, nil
	}
	if subtle.ConstantTimeCompare([]byte(req.AccessKeyID), []byte(acct.RootAccessKeyID)) == 1 {
		return &Principal{AccountID: acct.ID, Arn: snap.Scope.Root(), UserID: acct.ID}, acct.RootSecretAccessKey, nil
	}
	return nil, "", &Failure{Kind: FailUnknownKey, Message: MessageInvalidToken, Detail: "unknown access key " + req.AccessKeyID}
}

// regionAllowed: Roles Anywhere is regional; IAM is global and signed for
// us-east-1; STS answers on its global (us-east-1) and regional names.
func regionAllowed(service, region, serverRegion string) bool {
	if region == serverRegion {
		return true
	}
	return (service == "iam" || service == "sts") && region == "us-east-1"
}

func fromSigV4(err error) error {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return err
	}
	f := &Failure{Message: e.Message, Detail: e.Detail}
	switch e.Kind {
	case sigv4.KindMissing:
		f.Kind = FailMissing
	case sigv4.KindIncomplete:
		f.Kind = FailIncomplete
	default:
		f.Kind = FailSignature
	}
	return f
}
