package rolesanywhere

import (
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// Wire types: field names and shapes exactly as the service model
// (rolesanywhere 2018-05-10) defines them. Input members are pointers so a
// missing member can be told from a zero value.

// timestampLayout is how the service renders timestamps: RFC 3339 in UTC
// with microseconds.
const timestampLayout = "2006-01-02T15:04:05.000000Z"

type timestamp time.Time

func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(timestampLayout) + `"`), nil
}

type tagWire struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type tagOut struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func tagsIn(tags []tagWire) []store.Tag {
	out := make([]store.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, store.Tag{Key: *t.Key, Value: *t.Value})
	}
	return out
}

func tagsOut(tags []store.Tag) []tagOut {
	out := make([]tagOut, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagOut(t))
	}
	return out
}

type sourceData struct {
	X509CertificateData *string `json:"x509CertificateData,omitempty"`
	AcmPcaArn           *string `json:"acmPcaArn,omitempty"`
}

type source struct {
	SourceType *string     `json:"sourceType,omitempty"`
	SourceData *sourceData `json:"sourceData,omitempty"`
}

type notificationSetting struct {
	Enabled   *bool   `json:"enabled"`
	Event     *string `json:"event"`
	Threshold *int32  `json:"threshold,omitempty"`
	Channel   *string `json:"channel,omitempty"`
}

type notificationSettingDetail struct {
	Enabled      bool   `json:"enabled"`
	Event        string `json:"event"`
	Threshold    *int32 `json:"threshold,omitempty"`
	Channel      string `json:"channel,omitempty"`
	ConfiguredBy string `json:"configuredBy,omitempty"`
}

type trustAnchorDetail struct {
	TrustAnchorID        string                      `json:"trustAnchorId"`
	TrustAnchorArn       string                      `json:"trustAnchorArn"`
	Name                 string                      `json:"name"`
	Source               source                      `json:"source"`
	Enabled              bool                        `json:"enabled"`
	CreatedAt            timestamp                   `json:"createdAt"`
	UpdatedAt            timestamp                   `json:"updatedAt"`
	NotificationSettings []notificationSettingDetail `json:"notificationSettings"`
}

type trustAnchorResponse struct {
	TrustAnchor trustAnchorDetail `json:"trustAnchor"`
}

type listTrustAnchorsResponse struct {
	TrustAnchors []trustAnchorDetail `json:"trustAnchors"`
	NextToken    string              `json:"nextToken,omitempty"`
}

func (h *Handler) trustAnchorOut(a *store.TrustAnchor) trustAnchorDetail {
	st := a.SourceType
	data := a.SourceData
	sd := &sourceData{}
	if st == sourceAcmPca {
		sd.AcmPcaArn = &data
	} else {
		sd.X509CertificateData = &data
	}
	ns := make([]notificationSettingDetail, 0, len(a.NotificationSettings))
	for _, n := range a.NotificationSettings {
		ns = append(ns, notificationSettingDetail(n))
	}
	return trustAnchorDetail{
		TrustAnchorID:        a.ID,
		TrustAnchorArn:       h.scope.RolesAnywhere("trust-anchor", a.ID),
		Name:                 a.Name,
		Source:               source{SourceType: &st, SourceData: sd},
		Enabled:              a.Enabled,
		CreatedAt:            timestamp(a.CreatedAt),
		UpdatedAt:            timestamp(a.UpdatedAt),
		NotificationSettings: ns,
	}
}

type mappingRule struct {
	Specifier *string `json:"specifier"`
}

type attributeMappingOut struct {
	CertificateField string           `json:"certificateField"`
	MappingRules     []mappingRuleOut `json:"mappingRules"`
}

type mappingRuleOut struct {
	Specifier string `json:"specifier"`
}

type profileDetail struct {
	ProfileID                 string                `json:"profileId"`
	ProfileArn                string                `json:"profileArn"`
	Name                      string                `json:"name"`
	RequireInstanceProperties bool                  `json:"requireInstanceProperties"`
	Enabled                   bool                  `json:"enabled"`
	CreatedBy                 string                `json:"createdBy"`
	SessionPolicy             *string               `json:"sessionPolicy,omitempty"`
	RoleArns                  []string              `json:"roleArns"`
	ManagedPolicyArns         []string              `json:"managedPolicyArns"`
	CreatedAt                 timestamp             `json:"createdAt"`
	UpdatedAt                 timestamp             `json:"updatedAt"`
	DurationSeconds           int32                 `json:"durationSeconds"`
	AcceptRoleSessionName     bool                  `json:"acceptRoleSessionName"`
	AttributeMappings         []attributeMappingOut `json:"attributeMappings"`
}

type profileResponse struct {
	Profile profileDetail `json:"profile"`
}

type listProfilesResponse struct {
	Profiles  []profileDetail `json:"profiles"`
	NextToken string          `json:"nextToken,omitempty"`
}

func (h *Handler) profileOut(p *store.Profile) profileDetail {
	var policy *string
	if p.SessionPolicy != "" {
		sp := p.SessionPolicy
		policy = &sp
	}
	maps := make([]attributeMappingOut, 0, len(p.AttributeMappings))
	for _, m := range p.AttributeMappings {
		rules := make([]mappingRuleOut, 0, len(m.MappingRules))
		for _, r := range m.MappingRules {
			rules = append(rules, mappingRuleOut(r))
		}
		maps = append(maps, attributeMappingOut{CertificateField: m.CertificateField, MappingRules: rules})
	}
	return profileDetail{
		ProfileID:                 p.ID,
		ProfileArn:                h.scope.RolesAnywhere("profile", p.ID),
		Name:                      p.Name,
		RequireInstanceProperties: p.RequireInstanceProperties,
		Enabled:                   p.Enabled,
		CreatedBy:                 p.CreatedBy,
		SessionPolicy:             policy,
		RoleArns:                  nonNil(p.RoleArns),
		ManagedPolicyArns:         nonNil(p.ManagedPolicyArns),
		CreatedAt:                 timestamp(p.CreatedAt),
		UpdatedAt:                 timestamp(p.UpdatedAt),
		DurationSeconds:           p.DurationSeconds,
		AcceptRoleSessionName:     p.AcceptRoleSessionName,
		AttributeMappings:         maps,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
