package admin

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
)

// The JSON views below are the resources as the APIs send them (Roles
// Anywhere's camelCase members, IAM's PascalCase ones, as the AWS CLI
// prints them), so --output json reads like `aws rolesanywhere` and
// `aws iam` output. The SDK's types cannot be marshalled directly: their
// unions and pointers do not encode to the wire shape.

// TrustAnchorJSON is a TrustAnchorDetail.
type TrustAnchorJSON struct {
	TrustAnchorID        string                    `json:"trustAnchorId"`
	TrustAnchorArn       string                    `json:"trustAnchorArn"`
	Name                 string                    `json:"name"`
	Source               *SourceJSON               `json:"source,omitempty"`
	Enabled              bool                      `json:"enabled"`
	CreatedAt            *time.Time                `json:"createdAt,omitempty"`
	UpdatedAt            *time.Time                `json:"updatedAt,omitempty"`
	NotificationSettings []NotificationSettingJSON `json:"notificationSettings,omitempty"`
}

// SourceJSON is a trust anchor's Source.
type SourceJSON struct {
	SourceType string            `json:"sourceType"`
	SourceData map[string]string `json:"sourceData,omitempty"`
}

// NotificationSettingJSON is a NotificationSettingDetail.
type NotificationSettingJSON struct {
	Enabled      bool   `json:"enabled"`
	Event        string `json:"event"`
	Threshold    *int32 `json:"threshold,omitempty"`
	Channel      string `json:"channel,omitempty"`
	ConfiguredBy string `json:"configuredBy,omitempty"`
}

// NewTrustAnchorJSON converts a TrustAnchorDetail.
func NewTrustAnchorJSON(a *ratypes.TrustAnchorDetail) TrustAnchorJSON {
	out := TrustAnchorJSON{
		TrustAnchorID:  aws.ToString(a.TrustAnchorId),
		TrustAnchorArn: aws.ToString(a.TrustAnchorArn),
		Name:           aws.ToString(a.Name),
		Enabled:        aws.ToBool(a.Enabled),
		CreatedAt:      utc(a.CreatedAt),
		UpdatedAt:      utc(a.UpdatedAt),
	}
	if a.Source != nil {
		out.Source = &SourceJSON{SourceType: string(a.Source.SourceType)}
		switch d := a.Source.SourceData.(type) {
		case *ratypes.SourceDataMemberX509CertificateData:
			out.Source.SourceData = map[string]string{"x509CertificateData": d.Value}
		case *ratypes.SourceDataMemberAcmPcaArn:
			out.Source.SourceData = map[string]string{"acmPcaArn": d.Value}
		}
	}
	for _, n := range a.NotificationSettings {
		out.NotificationSettings = append(out.NotificationSettings, NotificationSettingJSON{
			Enabled: aws.ToBool(n.Enabled), Event: string(n.Event), Threshold: n.Threshold,
			Channel: string(n.Channel), ConfiguredBy: aws.ToString(n.ConfiguredBy),
		})
	}
	return out
}

// CertificateData returns the PEM bundle of a CERTIFICATE_BUNDLE trust
// anchor ("" for other sources).
func CertificateData(a *ratypes.TrustAnchorDetail) string {
	if a.Source == nil {
		return ""
	}
	if d, ok := a.Source.SourceData.(*ratypes.SourceDataMemberX509CertificateData); ok {
		return d.Value
	}
	return ""
}

// ProfileJSON is a ProfileDetail.
type ProfileJSON struct {
	ProfileID                 string                 `json:"profileId"`
	ProfileArn                string                 `json:"profileArn"`
	Name                      string                 `json:"name"`
	RequireInstanceProperties bool                   `json:"requireInstanceProperties"`
	Enabled                   bool                   `json:"enabled"`
	CreatedBy                 string                 `json:"createdBy,omitempty"`
	SessionPolicy             string                 `json:"sessionPolicy,omitempty"`
	RoleArns                  []string               `json:"roleArns"`
	ManagedPolicyArns         []string               `json:"managedPolicyArns"`
	CreatedAt                 *time.Time             `json:"createdAt,omitempty"`
	UpdatedAt                 *time.Time             `json:"updatedAt,omitempty"`
	DurationSeconds           *int32                 `json:"durationSeconds,omitempty"`
	AcceptRoleSessionName     bool                   `json:"acceptRoleSessionName"`
	AttributeMappings         []AttributeMappingJSON `json:"attributeMappings,omitempty"`
}

// AttributeMappingJSON is an AttributeMapping.
type AttributeMappingJSON struct {
	CertificateField string            `json:"certificateField"`
	MappingRules     []MappingRuleJSON `json:"mappingRules"`
}

// MappingRuleJSON is a MappingRule.
type MappingRuleJSON struct {
	Specifier string `json:"specifier"`
}

// NewProfileJSON converts a ProfileDetail.
func NewProfileJSON(p *ratypes.ProfileDetail) ProfileJSON {
	out := ProfileJSON{
		ProfileID:                 aws.ToString(p.ProfileId),
		ProfileArn:                aws.ToString(p.ProfileArn),
		Name:                      aws.ToString(p.Name),
		RequireInstanceProperties: aws.ToBool(p.RequireInstanceProperties),
		Enabled:                   aws.ToBool(p.Enabled),
		CreatedBy:                 aws.ToString(p.CreatedBy),
		SessionPolicy:             aws.ToString(p.SessionPolicy),
		RoleArns:                  nonNil(p.RoleArns),
		ManagedPolicyArns:         nonNil(p.ManagedPolicyArns),
		CreatedAt:                 utc(p.CreatedAt),
		UpdatedAt:                 utc(p.UpdatedAt),
		DurationSeconds:           p.DurationSeconds,
		AcceptRoleSessionName:     aws.ToBool(p.AcceptRoleSessionName),
	}
	for _, m := range p.AttributeMappings {
		am := AttributeMappingJSON{CertificateField: string(m.CertificateField), MappingRules: []MappingRuleJSON{}}
		for _, r := range m.MappingRules {
			am.MappingRules = append(am.MappingRules, MappingRuleJSON{Specifier: aws.ToString(r.Specifier)})
		}
		out.AttributeMappings = append(out.AttributeMappings, am)
	}
	return out
}

// CRLJSON is a CrlDetail; crlData is base64 as on the wire.
type CRLJSON struct {
	CrlID          string     `json:"crlId"`
	CrlArn         string     `json:"crlArn"`
	Name           string     `json:"name"`
	Enabled        bool       `json:"enabled"`
	CrlData        []byte     `json:"crlData"`
	TrustAnchorArn string     `json:"trustAnchorArn"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	UpdatedAt      *time.Time `json:"updatedAt,omitempty"`
}

// NewCRLJSON converts a CrlDetail.
func NewCRLJSON(c *ratypes.CrlDetail) CRLJSON {
	return CRLJSON{
		CrlID:          aws.ToString(c.CrlId),
		CrlArn:         aws.ToString(c.CrlArn),
		Name:           aws.ToString(c.Name),
		Enabled:        aws.ToBool(c.Enabled),
		CrlData:        c.CrlData,
		TrustAnchorArn: aws.ToString(c.TrustAnchorArn),
		CreatedAt:      utc(c.CreatedAt),
		UpdatedAt:      utc(c.UpdatedAt),
	}
}

// RoleJSON is an IAM Role, its trust policy decoded as the AWS CLI shows
// it.
type RoleJSON struct {
	Path                     string          `json:"Path"`
	RoleName                 string          `json:"RoleName"`
	RoleID                   string          `json:"RoleId"`
	Arn                      string          `json:"Arn"`
	CreateDate               *time.Time      `json:"CreateDate,omitempty"`
	AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument,omitempty"`
	Description              string          `json:"Description,omitempty"`
	MaxSessionDuration       *int32          `json:"MaxSessionDuration,omitempty"`
}

// NewRoleJSON converts an IAM Role.
func NewRoleJSON(r *iamtypes.Role) RoleJSON {
	out := RoleJSON{
		Path:               aws.ToString(r.Path),
		RoleName:           aws.ToString(r.RoleName),
		RoleID:             aws.ToString(r.RoleId),
		Arn:                aws.ToString(r.Arn),
		CreateDate:         utc(r.CreateDate),
		Description:        aws.ToString(r.Description),
		MaxSessionDuration: r.MaxSessionDuration,
	}
	if r.AssumeRolePolicyDocument != nil {
		out.AssumeRolePolicyDocument = PolicyJSON(DecodePolicy(*r.AssumeRolePolicyDocument))
	}
	return out
}

// RoleDetailJSON is a role with its policies, what role get prints.
type RoleDetailJSON struct {
	Role             RoleJSON             `json:"Role"`
	RolePolicies     []RolePolicyJSON     `json:"RolePolicies"`
	AttachedPolicies []AttachedPolicyJSON `json:"AttachedPolicies"`
}

// RolePolicyJSON is an inline policy of a role.
type RolePolicyJSON struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

// AttachedPolicyJSON is a managed policy attached to a role.
type AttachedPolicyJSON struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// NewRoleDetailJSON converts a role and its policies.
func NewRoleDetailJSON(r *iamtypes.Role, p *RolePolicies) RoleDetailJSON {
	out := RoleDetailJSON{Role: NewRoleJSON(r), RolePolicies: []RolePolicyJSON{}, AttachedPolicies: []AttachedPolicyJSON{}}
	if p == nil {
		return out
	}
	for _, ip := range p.Inline {
		out.RolePolicies = append(out.RolePolicies, RolePolicyJSON{PolicyName: ip.Name, PolicyDocument: PolicyJSON(ip.Document)})
	}
	for _, ap := range p.Attached {
		out.AttachedPolicies = append(out.AttachedPolicies, AttachedPolicyJSON{PolicyName: aws.ToString(ap.PolicyName), PolicyArn: aws.ToString(ap.PolicyArn)})
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
