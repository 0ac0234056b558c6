// Package session decides CreateSession: it verifies the X.509 request
// signature, the certificate path to the named trust anchor and the
// anchor's revocations, the profile and the role, derives the session
// (duration, name, source identity, tags, policies), evaluates the role's
// trust policy for rolesanywhere.amazonaws.com, and mints credentials.
// Every decision is audited with a stable reason code and an explanation
// that names the failing rule.
package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/audit"
	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/snapshot"
)

// ServicePrincipal is the principal trust policies must name.
const ServicePrincipal = "rolesanywhere.amazonaws.com"

// Limits on durationSeconds in a CreateSession request.
const (
	MinDurationSeconds = 900
	MaxDurationSeconds = 43200
	// DefaultMaxSkew is how far X-Amz-Date may be from the server's clock.
	DefaultMaxSkew = 5 * time.Minute
)

// Config holds the service's dependencies.
type Config struct {
	Snapshots *snapshot.Loader
	Now       func() time.Time
	// Audit receives one log line per decision, for the operator's log.
	Audit *slog.Logger
	// AuditLog, when set, receives one JSON record per decision.
	AuditLog *audit.Log
	// MaxSkew bounds |X-Amz-Date - now|; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// Subjects records who authenticated; nil records nothing.
	Subjects *Recorder
}

// Service decides CreateSession requests.
type Service struct {
	snapshots *snapshot.Loader
	now       func() time.Time
	audit     *slog.Logger
	auditLog  *audit.Log
	maxSkew   time.Duration
	subjects  *Recorder
	certs     *certCache
	paths     *pathCache
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{snapshots: cfg.Snapshots, now: cfg.Now, audit: cfg.Audit, auditLog: cfg.AuditLog, maxSkew: cfg.MaxSkew, subjects: cfg.Subjects,
		certs: newCertCache(), paths: newPathCache()}
	if s.maxSkew == 0 {
		s.maxSkew = DefaultMaxSkew
	}
	if s.audit == nil {
		s.audit = slog.New(slog.DiscardHandler)
	}
	return s
}

// Close flushes pending work.
func (s *Service) Close() {
	if s.subjects != nil {
		s.subjects.Close()
	}
}

// Result is a granted session.
type Result struct {
	Credentials      *credentials.Credentials
	RoleArn          string
	AssumedRoleArn   string
	AssumedRoleID    string
	SourceIdentity   string
	SubjectArn       string
	PackedPolicySize int
}

// input is the JSON body of CreateSession. The three ARNs may also come
// from the query string, as aws_signing_helper sends them.
type input struct {
	DurationSeconds    *json.Number      `json:"durationSeconds"`
	RoleSessionName    *string           `json:"roleSessionName"`
	SessionName        *string           `json:"sessionName"` // deprecated, ignored
	InstanceProperties map[string]string `json:"instanceProperties"`
	ProfileArn         *string           `json:"profileArn"`
	RoleArn            *string           `json:"roleArn"`
	TrustAnchorArn     *string           `json:"trustAnchorArn"`
}

// Decision is the audit record of one CreateSession request.
type Decision struct {
	Time           time.Time
	SourceIP       string
	Subject        string
	Issuer         string
	Serial         string // hex
	Fingerprint    string // SHA-256 of the leaf's DER, hex
	TrustAnchorArn string
	ProfileArn     string
	RoleArn        string
	Allowed        bool
	// Reason is a stable code for a denial; Explanation says which rule
	// failed and why, for the operator.
	Reason      string
	Explanation string
	SessionName string
	Expiration  time.Time

	// For subject recording: the authenticated certificate and the
	// request's instance properties.
	cert               *certInfo
	account            string
	instanceProperties map[string]string
}

// denial is a refused request: the error for the caller and the audit
// reason and explanation for the operator.
type denial struct {
	err    *apierror.Error
	reason string
	why    string
}

func (d *denial) Error() string { return d.reason + ": " + d.why }

// Public messages, as AWS words them.
const (
	msgUntrusted = "Untrusted signing certificate"
	msgSignature = "Invalid signature"
)

func untrusted(reason, format string, args ...any) *denial {
	return &denial{err: apierror.AccessDenied(msgUntrusted), reason: reason, why: fmt.Sprintf(format, args...)}
}

func cannotAssume(roleArn, reason, format string, args ...any) *denial {
	return &denial{err: apierror.AccessDenied("Unable to assume role for %s", roleArn), reason: reason, why: fmt.Sprintf(format, args...)}
}

func invalid(reason, format string, args ...any) *denial {
	msg := fmt.Sprintf(format, args...)
	return &denial{err: apierror.Validation("%s", msg), reason: reason, why: msg}
}

// CreateSession decides the request r, whose body has been read, and
// audits the decision. Errors are *apierror.Error values whose Detail
// explains a denial.
func (s *Service) CreateSession(ctx context.Context, r *http.Request, body []byte) (*Result, error) {
	now := s.now()
	d := &Decision{Time: now.UTC(), SourceIP: httpapi.RemoteIP(r)}
	res, den := s.decide(ctx, r, body, now, d)
	if d.cert != nil && s.subjects != nil {
		// The caller proved possession of the certificate's key: the
		// attempt, successful or not, belongs to its subject.
		s.subjects.Record(activity(d.account, d.cert, d.instanceProperties, den != nil, now))
	}
	if den != nil {
		d.Reason, d.Explanation = den.reason, den.why
		s.record(ctx, d)
		e := *den.err
		e.Detail = den.reason + ": " + den.why
		return nil, &e
	}
	d.Allowed = true
	s.record(ctx, d)
	return res, nil
}

func (s *Service) decide(ctx context.Context, r *http.Request, body []byte, now time.Time, d *Decision) (*Result, *denial) {
	var in input
	if len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			return nil, invalid("request.malformed", "the request body is not a valid JSON object: %v", err)
		}
	}
	query := r.URL.Query()
	var den *denial
	if d.TrustAnchorArn, den = arnParam(query, in.TrustAnchorArn, "trustAnchorArn"); den != nil {
		return nil, den
	}
	if d.ProfileArn, den = arnParam(query, in.ProfileArn, "profileArn"); den != nil {
		return nil, den
	}
	if d.RoleArn, den = arnParam(query, in.RoleArn, "roleArn"); den != nil {
		return nil, den
	}

	// 1. The signature, with the leaf's key.
	parsed := &parsing{cache: s.certs}
	v, err := sigv4x509.Verify(r, body, sigv4x509.VerifyOptions{Now: now, MaxSkew: s.maxSkew, ParseCertificate: parsed.parse, PublicKey: parsed.publicKey})
	if err != nil {
		return nil, signatureDenial(err)
	}
	// The leaf's key signed the request: the leaf may be cached.
	ci := parsed.certs[0]
	s.certs.keep(ci)
	ci.derive()
	d.Subject, d.Issuer, d.Serial = ci.subject, ci.issuer, ci.serialHex
	d.Fingerprint = ci.fingerprintHex

	snap, err := s.snapshots.Current(ctx)
	if err != nil {
		return nil, &denial{err: apierror.As(err), reason: "internal", why: err.Error()}
	}
	d.account = snap.Account.ID
	if v.Region != snap.Account.Region {
		return nil, &denial{err: apierror.AccessDenied("Credential should be scoped to a valid region, not '%s'.", v.Region), reason: "scope.region",
			why: fmt.Sprintf("the request was signed for region %s; this server serves %s", v.Region, snap.Account.Region)}
	}

	// 2. The request's parameters.
	duration, den := durationParam(in.DurationSeconds)
	if den != nil {
		return nil, den
	}
	if den := instancePropertiesParam(in.InstanceProperties); den != nil {
		return nil, den
	}
	for _, p := range []struct{ name, value string }{{"trustAnchorArn", d.TrustAnchorArn}, {"profileArn", d.ProfileArn}, {"roleArn", d.RoleArn}} {
		if p.value == "" {
			return nil, invalid("request.missing_parameter", "%s is required (in the query string or the JSON body)", p.name)
		}
	}

	// 3. The rules: trust anchor, certificate path, revocation, profile,
	// role, session, trust policy.
	q := &request{
		cert: ci, chain: parsed.certs[1:],
		trustAnchorArn: d.TrustAnchorArn, profileArn: d.ProfileArn, roleArn: d.RoleArn,
		in: in, duration: duration, net: netOf(r, d.SourceIP),
	}
	sess, role, den := s.evaluate(snap, q, now, nil)
	if q.trusted {
		// The certificate chains to the trust anchor: the attempt, granted
		// or not, belongs to its subject, and the chain may be cached.
		d.cert, d.instanceProperties = ci, in.InstanceProperties
		s.certs.keep(parsed.certs[1:]...)
	}
	if den != nil {
		return nil, den
	}
	d.SessionName = sess.SessionName

	creds, err := snap.Keyring.Mint(sess)
	if err != nil {
		return nil, &denial{err: apierror.As(err), reason: "internal", why: err.Error()}
	}
	d.Expiration = creds.Expiration
	return &Result{
		Credentials:      creds,
		RoleArn:          role.Arn,
		AssumedRoleArn:   snap.Scope.AssumedRole(role.Name, sess.SessionName),
		AssumedRoleID:    role.ID + ":" + sess.SessionName,
		SourceIdentity:   sess.SourceIdentity,
		SubjectArn:       snap.Scope.RolesAnywhere("subject", ci.subjectIDIn(snap.Account.ID)),
		PackedPolicySize: packedPolicySize(q.profile, sess.Tags),
	}, nil
}

// arnParam reads an ARN from the query string or the JSON body; when both
// carry it they must agree.
func arnParam(q map[string][]string, body *string, name string) (string, *denial) {
	fromQuery := ""
	if vs := q[name]; len(vs) > 0 {
		fromQuery = vs[0]
	}
	switch {
	case body == nil:
		return fromQuery, nil
	case fromQuery == "" || fromQuery == *body:
		return *body, nil
	}
	return "", invalid("request.conflicting_parameter", "%s differs between the query string (%s) and the body (%s)", name, fromQuery, *body)
}

func jsonNumber(n int64) *json.Number {
	v := json.Number(strconv.FormatInt(n, 10))
	return &v
}

func durationParam(n *json.Number) (*int64, *denial) {
	if n == nil {
		return nil, nil
	}
	v, err := n.Int64()
	if err != nil {
		return nil, invalid("request.invalid_duration", "durationSeconds must be an integer, not %s", n.String())
	}
	if v < MinDurationSeconds || v > MaxDurationSeconds {
		return nil, invalid("request.invalid_duration", "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d", v, MinDurationSeconds, MaxDurationSeconds)
	}
	return &v, nil
}

// instancePropertiesParam checks the model's limits on instanceProperties:
// at most 50 entries, keys and values of 1 to 200 characters.
func instancePropertiesParam(props map[string]string) *denial {
	if len(props) > 50 {
		return invalid("request.invalid_instance_properties", "instanceProperties has %d entries; at most 50 are allowed", len(props))
	}
	for k, v := range props {
		if n, m := len([]rune(k)), len([]rune(v)); n < 1 || n > 200 || m < 1 || m > 200 {
			return invalid("request.invalid_instance_properties", "instanceProperties keys and values must have 1 to 200 characters")
		}
	}
	return nil
}

func signatureDenial(err error) *denial {
	var e *sigv4x509.Error
	if !errors.As(err, &e) {
		return &denial{err: apierror.AccessDenied(msgSignature), reason: "signature.invalid", why: err.Error()}
	}
	return &denial{err: apierror.AccessDenied("%s", e.PublicMessage()), reason: string(e.Reason), why: e.Detail}
}

// resourceARN parses an ARN that must name a Roles Anywhere resource of
// typ in this server's region and account.
func resourceARN(snap *snapshot.Snapshot, s, typ string) (string, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return "", err
	}
	switch {
	case a.Service != "rolesanywhere" || a.ResourceType() != typ:
		return "", fmt.Errorf("%s is not a %s ARN", s, typ)
	case a.Region != snap.Account.Region:
		return "", fmt.Errorf("%s is in region %s; this server serves %s", s, a.Region, snap.Account.Region)
	case a.Account != snap.Account.ID:
		return "", fmt.Errorf("%s belongs to account %s; this server serves account %s", s, a.Account, snap.Account.ID)
	}
	return a.ResourceID(), nil
}

// findAnchor resolves a trust anchor ARN. It returns the anchor whenever
// it exists, also with a denial (disabled, unusable), so an explanation can
// go on checking the certificate against it.
func findAnchor(snap *snapshot.Snapshot, anchorArn string) (*snapshot.Anchor, *denial) {
	id, err := resourceARN(snap, anchorArn, "trust-anchor")
	if err != nil {
		return nil, untrusted("trust_anchor.not_found", "%v", err)
	}
	a := snap.Anchors[id]
	switch {
	case a == nil:
		return nil, untrusted("trust_anchor.not_found", "no trust anchor has the ID %s", id)
	case !a.Enabled:
		return a, untrusted("trust_anchor.disabled", "the trust anchor %s (%q) is disabled", anchorArn, a.Name)
	case a.Err != nil:
		return a, untrusted("trust_anchor.invalid", "the trust anchor %s holds no usable certificate: %v", anchorArn, a.Err)
	}
	return a, nil
}

// findProfile resolves a profile ARN, returning the profile whenever it
// exists, also when it is disabled.
func findProfile(snap *snapshot.Snapshot, profileArn, roleArn string) (*snapshot.Profile, *denial) {
	id, err := resourceARN(snap, profileArn, "profile")
	if err != nil {
		return nil, cannotAssume(roleArn, "profile.not_found", "%v", err)
	}
	p := snap.Profiles[id]
	switch {
	case p == nil:
		return nil, cannotAssume(roleArn, "profile.not_found", "no profile has the ID %s", id)
	case !p.Enabled:
		return p, cannotAssume(roleArn, "profile.disabled", "the profile %s (%q) is disabled", profileArn, p.Name)
	}
	return p, nil
}

// SubjectID derives the ID of the subject resource for an X.509 subject,
// the same on every node.
func SubjectID(account, subject string) string {
	return uuid.NewSHA1(subjectNamespace, []byte(account+"\x00"+subject)).String()
}

var subjectNamespace = uuid.MustParse("6f0c2a4e-5a8b-4d0e-9a57-1c9e2f7b3d40")

// record writes the decision to the audit log and the operator's log.
func (s *Service) record(ctx context.Context, d *Decision) {
	if s.auditLog != nil {
		rec := audit.Record{
			Time: d.Time, RequestID: httpapi.RequestFrom(ctx).ID, SourceIP: d.SourceIP,
			Subject: d.Subject, Issuer: d.Issuer, Serial: d.Serial, Fingerprint: d.Fingerprint,
			TrustAnchorArn: d.TrustAnchorArn, ProfileArn: d.ProfileArn, RoleArn: d.RoleArn,
			Decision: "deny", Reason: d.Reason, Explanation: d.Explanation,
		}
		if d.Allowed {
			exp := d.Expiration.UTC()
			rec.Decision, rec.SessionName, rec.Expiration = "allow", d.SessionName, &exp
		}
		if !s.auditLog.Write(rec) {
			s.audit.Error("audit record lost: the request outlived the server's shutdown", "request_id", rec.RequestID, "decision", rec.Decision, "subject", rec.Subject)
		}
	}
	if d.Allowed {
		// Grants are in the audit log and the access log already; the
		// server log keeps a record of every refusal and its explanation.
		return
	}
	s.audit.LogAttrs(ctx, slog.LevelWarn, "CreateSession", slog.String("decision", "deny"),
		slog.String("source_ip", d.SourceIP), slog.String("subject", d.Subject), slog.String("issuer", d.Issuer),
		slog.String("serial", d.Serial), slog.String("fingerprint_sha256", d.Fingerprint),
		slog.String("trust_anchor_arn", d.TrustAnchorArn), slog.String("profile_arn", d.ProfileArn), slog.String("role_arn", d.RoleArn),
		slog.String("reason", d.Reason), slog.String("explanation", d.Explanation))
}
