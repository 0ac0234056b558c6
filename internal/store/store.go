// Package store defines roam's persistence contract: narrow, context-first
// interfaces per aggregate, the records they hold, and sentinel errors.
// Implementations (sqlite, postgres) pass the conformance suite in
// internal/store/storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them; callers test with errors.Is.
var (
	// ErrNotFound: no record with that key.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a record with that unique key exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: the change conflicts with other records (e.g. deleting a
	// managed policy that is still attached).
	ErrConflict = errors.New("store: conflict")
	// ErrInvalidPageToken: the page token was not issued by this store.
	ErrInvalidPageToken = errors.New("store: invalid page token")
)

// Store is the whole persistence layer.
type Store interface {
	Accounts
	Keyring
	TrustAnchors
	Profiles
	CRLs
	Subjects
	Roles
	Policies

	// Version returns a counter that increases with every committed change
	// to trust anchors, profiles, CRLs, roles, policies or the keyring, so
	// in-memory snapshots know when to reload.
	Version(ctx context.Context) (int64, error)
	// Subscribe calls fn (without blocking the writer) after changes
	// committed by this process, and, where the backend supports it, by
	// other processes sharing the database. The returned func unsubscribes.
	Subscribe(fn func()) (cancel func())

	Close() error
}

// Page selects one page of a listing. Listings are ordered by creation
// (oldest first) and keyset-paginated: a token names the last record
// returned, so records created or deleted between pages never cause another
// record to be skipped or repeated.
type Page struct {
	// Token is the NextToken of the previous page, or "" for the first.
	Token string
	// Size is the maximum number of records to return; <= 0 means 50.
	Size int
}

// DefaultPageSize is used when Page.Size <= 0.
const DefaultPageSize = 50

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Account is the single account a roam deployment serves.
type Account struct {
	ID        string // 12 digits
	Region    string
	Partition string // "aws"
	// RootAccessKeyID and RootSecretAccessKey are the account's root keys.
	RootAccessKeyID     string
	RootSecretAccessKey string
	CreatedAt           time.Time
}

// Accounts holds the account record.
type Accounts interface {
	// CreateAccount stores the account; ErrAlreadyExists if one exists.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns the account; ErrNotFound before CreateAccount.
	GetAccount(ctx context.Context) (*Account, error)
}

// SealingKey is an AES-256 key that seals session tokens.
type SealingKey struct {
	ID        string // short, printable; travels in clear in tokens
	Key       []byte // 32 bytes
	CreatedAt time.Time
	// Retired keys still open tokens but never seal new ones.
	Retired bool
}

// Keyring holds the credential-sealing keys shared by every node.
type Keyring interface {
	// AddSealingKey stores a new key; ErrAlreadyExists on a duplicate ID.
	AddSealingKey(ctx context.Context, k *SealingKey) error
	// ListSealingKeys returns every key, oldest first.
	ListSealingKeys(ctx context.Context) ([]*SealingKey, error)
	// RetireSealingKey marks a key retired; ErrNotFound if unknown.
	RetireSealingKey(ctx context.Context, id string) error
}

// NotificationSetting is a trust anchor's expiry notification setting.
type NotificationSetting struct {
	Enabled      bool   `json:"enabled"`
	Event        string `json:"event"`
	Threshold    *int32 `json:"threshold,omitempty"`
	Channel      string `json:"channel,omitempty"`
	ConfiguredBy string `json:"configuredBy,omitempty"`
}

// TrustAnchor is a Roles Anywhere trust anchor.
type TrustAnchor struct {
	ID         string
	Name       string
	SourceType string // CERTIFICATE_BUNDLE, AWS_ACM_PCA, SELF_SIGNED_REPOSITORY
	// SourceData is the PEM bundle (CERTIFICATE_BUNDLE) or the ACM PCA ARN.
	SourceData           string
	Enabled              bool
	NotificationSettings []NotificationSetting
	Tags                 []Tag
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// TrustAnchors stores trust anchors, keyed by ID.
type TrustAnchors interface {
	CreateTrustAnchor(ctx context.Context, a *TrustAnchor) error
	GetTrustAnchor(ctx context.Context, id string) (*TrustAnchor, error)
	// UpdateTrustAnchor reads the anchor, calls update on a copy and stores
	// the result, atomically. An error from update aborts the change and is
	// returned as is.
	UpdateTrustAnchor(ctx context.Context, id string, update func(*TrustAnchor) error) (*TrustAnchor, error)
	// DeleteTrustAnchor removes the anchor and returns it as it was. CRLs
	// that name it are deleted with it.
	DeleteTrustAnchor(ctx context.Context, id string) (*TrustAnchor, error)
	ListTrustAnchors(ctx context.Context, p Page) (items []*TrustAnchor, next string, err error)
}

// MappingRule selects one certificate attribute for a session tag.
type MappingRule struct {
	Specifier string `json:"specifier"`
}

// AttributeMapping maps one certificate field to session tags.
type AttributeMapping struct {
	CertificateField string        `json:"certificateField"`
	MappingRules     []MappingRule `json:"mappingRules"`
}

// Profile is a Roles Anywhere profile.
type Profile struct {
	ID                        string
	Name                      string
	Enabled                   bool
	RoleArns                  []string
	ManagedPolicyArns         []string
	SessionPolicy             string
	DurationSeconds           int32
	RequireInstanceProperties bool
	AcceptRoleSessionName     bool
	AttributeMappings         []AttributeMapping
	CreatedBy                 string
	Tags                      []Tag
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
}

// Profiles stores profiles, keyed by ID.
type Profiles interface {
	CreateProfile(ctx context.Context, p *Profile) error
	GetProfile(ctx context.Context, id string) (*Profile, error)
	UpdateProfile(ctx context.Context, id string, update func(*Profile) error) (*Profile, error)
	DeleteProfile(ctx context.Context, id string) (*Profile, error)
	ListProfiles(ctx context.Context, p Page) (items []*Profile, next string, err error)
}

// CRL is an imported certificate revocation list.
type CRL struct {
	ID            string
	Name          string
	Enabled       bool
	Data          []byte // as imported (PEM or DER)
	TrustAnchorID string
	Tags          []Tag
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// CRLs stores CRLs, keyed by ID.
type CRLs interface {
	CreateCRL(ctx context.Context, c *CRL) error
	GetCRL(ctx context.Context, id string) (*CRL, error)
	UpdateCRL(ctx context.Context, id string, update func(*CRL) error) (*CRL, error)
	DeleteCRL(ctx context.Context, id string) (*CRL, error)
	ListCRLs(ctx context.Context, p Page) (items []*CRL, next string, err error)
	// CountCRLsForTrustAnchor counts the CRLs that name the anchor.
	CountCRLsForTrustAnchor(ctx context.Context, trustAnchorID string) (int, error)
}

// CredentialUse is one certificate seen with a subject.
type CredentialUse struct {
	SeenAt       time.Time `json:"seenAt"`
	SerialNumber string    `json:"serialNumber"`
	Issuer       string    `json:"issuer"`
	Enabled      bool      `json:"enabled"`
	// CertificatePEM is the certificate as PEM.
	CertificatePEM string `json:"x509CertificateData"`
	Failed         bool   `json:"failed"`
}

// InstanceProperties is one set of instance properties seen with a subject.
type InstanceProperties struct {
	SeenAt     time.Time         `json:"seenAt"`
	Properties map[string]string `json:"properties"`
	Failed     bool              `json:"failed"`
}

// Subject is an identity seen at CreateSession, keyed by its X.509
// subject. IDs are derived from the subject so every node agrees on them.
type Subject struct {
	ID                 string
	X509Subject        string
	Enabled            bool
	LastSeenAt         time.Time
	Credentials        []CredentialUse      // most recent first
	InstanceProperties []InstanceProperties // most recent first
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// SubjectActivity is one CreateSession attempt to fold into a subject.
type SubjectActivity struct {
	SubjectID          string
	X509Subject        string
	At                 time.Time
	Credential         CredentialUse
	InstanceProperties map[string]string // nil when none were sent
}

// Subjects stores subjects.
type Subjects interface {
	// RecordSubjectActivity folds a batch of attempts into their subjects,
	// creating subjects on first sight, in one transaction. Each subject
	// keeps at most MaxCredentialsPerSubject credentials and
	// MaxInstancePropertiesPerSubject instance properties, most recent
	// first; a credential with the same issuer and serial replaces the
	// older entry.
	RecordSubjectActivity(ctx context.Context, batch []SubjectActivity) error
	GetSubject(ctx context.Context, id string) (*Subject, error)
	ListSubjects(ctx context.Context, p Page) (items []*Subject, next string, err error)
}

// Limits on what a subject remembers.
const (
	MaxCredentialsPerSubject        = 10
	MaxInstancePropertiesPerSubject = 10
)

// Role is an IAM role.
type Role struct {
	// Name is unique case-insensitively, as in IAM.
	Name                     string
	ID                       string // AROA...
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int32
	Tags                     []Tag
	// InlinePolicies maps policy name to policy document.
	InlinePolicies map[string]string
	// AttachedPolicyArns are the attached managed policies, in attach order.
	AttachedPolicyArns []string
	CreatedAt          time.Time
}

// Roles stores IAM roles, keyed by name (case-insensitive).
type Roles interface {
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, name string) (*Role, error)
	UpdateRole(ctx context.Context, name string, update func(*Role) error) (*Role, error)
	// DeleteRole removes the role; ErrConflict if it still has inline or
	// attached policies (IAM's DeleteConflict).
	DeleteRole(ctx context.Context, name string) (*Role, error)
	// ListRoles lists roles whose path starts with pathPrefix ("" or "/"
	// for all), ordered by name like IAM.
	ListRoles(ctx context.Context, pathPrefix string, p Page) (items []*Role, next string, err error)
	// ListAllRoles returns every role, for in-memory snapshots.
	ListAllRoles(ctx context.Context) ([]*Role, error)
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionID        string // v1, v2, ...
	Document         string
	IsDefaultVersion bool
	CreatedAt        time.Time
}

// ManagedPolicy is a customer managed IAM policy.
type ManagedPolicy struct {
	// Name is unique case-insensitively.
	Name        string
	ID          string // ANPA...
	Path        string
	Description string
	Tags        []Tag
	Versions    []PolicyVersion
	// AttachmentCount is maintained by AttachRolePolicy/DetachRolePolicy.
	AttachmentCount int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Policies stores customer managed policies, keyed by name.
type Policies interface {
	CreatePolicy(ctx context.Context, p *ManagedPolicy) error
	GetPolicy(ctx context.Context, name string) (*ManagedPolicy, error)
	UpdatePolicy(ctx context.Context, name string, update func(*ManagedPolicy) error) (*ManagedPolicy, error)
	// DeletePolicy removes the policy; ErrConflict while it is attached.
	DeletePolicy(ctx context.Context, name string) (*ManagedPolicy, error)
	ListPolicies(ctx context.Context, pathPrefix string, p Page) (items []*ManagedPolicy, next string, err error)
	ListAllPolicies(ctx context.Context) ([]*ManagedPolicy, error)
	// AttachRolePolicy and DetachRolePolicy change a role's attachments and
	// the policy's AttachmentCount in one transaction. Attach is idempotent;
	// detaching a policy that is not attached is ErrNotFound.
	AttachRolePolicy(ctx context.Context, roleName, policyName, policyArn string) error
	DetachRolePolicy(ctx context.Context, roleName, policyName, policyArn string) error
}
