package iam

import (
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/store"
)

// The XML shapes of IAM's responses. Element names and order follow the
// service model; lists are wrapped in <member> elements.

// list is a query-protocol list: <Name><member>...</member>...</Name>. An
// empty list is still sent as <Name></Name>, as IAM does, so that clients
// see an empty list rather than a missing one.
type list[T any] struct {
	Member []T `xml:"member"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type roleXML struct {
	Path                     string        `xml:"Path"`
	RoleName                 string        `xml:"RoleName"`
	RoleID                   string        `xml:"RoleId"`
	Arn                      string        `xml:"Arn"`
	CreateDate               string        `xml:"CreateDate"`
	AssumeRolePolicyDocument string        `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string        `xml:"Description,omitempty"`
	MaxSessionDuration       int32         `xml:"MaxSessionDuration"`
	Tags                     *list[tagXML] `xml:"Tags,omitempty"`
	// RoleLastUsed is sent empty by GetRole: roam does not track use.
	RoleLastUsed *struct{} `xml:"RoleLastUsed,omitempty"`
}

type policyXML struct {
	PolicyName                    string        `xml:"PolicyName"`
	PolicyID                      string        `xml:"PolicyId"`
	Arn                           string        `xml:"Arn"`
	Path                          string        `xml:"Path"`
	DefaultVersionID              string        `xml:"DefaultVersionId"`
	AttachmentCount               int           `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int           `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool          `xml:"IsAttachable"`
	Description                   string        `xml:"Description,omitempty"`
	CreateDate                    string        `xml:"CreateDate"`
	UpdateDate                    string        `xml:"UpdateDate"`
	Tags                          *list[tagXML] `xml:"Tags,omitempty"`
}

type policyVersionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// Results of the operations that return one.

type roleResult struct {
	Role roleXML `xml:"Role"`
}

type listRolesResult struct {
	Roles       list[roleXML] `xml:"Roles"`
	IsTruncated bool          `xml:"IsTruncated"`
	Marker      string        `xml:"Marker,omitempty"`
}

type listTagsResult struct {
	Tags        list[tagXML] `xml:"Tags"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

type getRolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type listRolePoliciesResult struct {
	PolicyNames list[string] `xml:"PolicyNames"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

type listAttachedRolePoliciesResult struct {
	AttachedPolicies list[attachedPolicyXML] `xml:"AttachedPolicies"`
	IsTruncated      bool                    `xml:"IsTruncated"`
	Marker           string                  `xml:"Marker,omitempty"`
}

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

type listPoliciesResult struct {
	Policies    list[policyXML] `xml:"Policies"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

type policyVersionResult struct {
	PolicyVersion policyVersionXML `xml:"PolicyVersion"`
}

type listPolicyVersionsResult struct {
	Versions    list[policyVersionXML] `xml:"Versions"`
	IsTruncated bool                   `xml:"IsTruncated"`
	Marker      string                 `xml:"Marker,omitempty"`
}

// empty is the result of operations whose result element has no members
// (UpdateRole): IAM still sends <UpdateRoleResult/>, and clients expect it.
type empty struct{}

// isoTime formats t as IAM does: ISO 8601 in UTC, whole seconds.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// encodeDocument URL-encodes a policy document the way IAM returns it
// (RFC 3986: every byte but the unreserved characters becomes %XX). boto3
// and the CLI decode it; aws-sdk-go-v2 hands it to the caller as is.
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func tagsXML(tags []store.Tag) []tagXML {
	out := make([]tagXML, len(tags))
	for i, t := range tags {
		out[i] = tagXML(t)
	}
	return out
}

// roleView selects which optional members a role carries: GetRole sends
// them all, ListRoles leaves out Tags and RoleLastUsed.
type roleView int

const (
	roleFull roleView = iota
	roleListed
)

func newRoleXML(s arn.Scope, r *store.Role, view roleView) roleXML {
	x := roleXML{
		Path:                     r.Path,
		RoleName:                 r.Name,
		RoleID:                   r.ID,
		Arn:                      s.Role(r.Path, r.Name),
		CreateDate:               isoTime(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument),
		Description:              r.Description,
		MaxSessionDuration:       r.MaxSessionDuration,
	}
	if view == roleFull {
		if len(r.Tags) > 0 {
			x.Tags = &list[tagXML]{tagsXML(r.Tags)}
		}
		x.RoleLastUsed = &struct{}{}
	}
	return x
}

// policyView selects which optional members a policy carries: GetPolicy
// and CreatePolicy send the description and tags, ListPolicies does not.
type policyView int

const (
	policyFull policyView = iota
	policyListed
)

func newPolicyXML(s arn.Scope, p *store.ManagedPolicy, view policyView) policyXML {
	x := policyXML{
		PolicyName:       p.Name,
		PolicyID:         p.ID,
		Arn:              s.Policy(p.Path, p.Name),
		Path:             p.Path,
		DefaultVersionID: defaultVersion(p).VersionID,
		AttachmentCount:  p.AttachmentCount,
		IsAttachable:     true,
		CreateDate:       isoTime(p.CreatedAt),
		UpdateDate:       isoTime(p.UpdatedAt),
	}
	if view == policyFull {
		x.Description = p.Description
		if len(p.Tags) > 0 {
			x.Tags = &list[tagXML]{tagsXML(p.Tags)}
		}
	}
	return x
}

// newPolicyVersionXML renders a version; the document only when asked
// (GetPolicyVersion), as IAM leaves it out of CreatePolicyVersion and
// ListPolicyVersions.
func newPolicyVersionXML(v *store.PolicyVersion, withDocument bool) policyVersionXML {
	x := policyVersionXML{VersionID: v.VersionID, IsDefaultVersion: v.IsDefaultVersion, CreateDate: isoTime(v.CreatedAt)}
	if withDocument {
		x.Document = encodeDocument(v.Document)
	}
	return x
}

// defaultVersion returns the policy's default version (a zero version if
// the record has none, which the handlers never store).
func defaultVersion(p *store.ManagedPolicy) *store.PolicyVersion {
	for i := range p.Versions {
		if p.Versions[i].IsDefaultVersion {
			return &p.Versions[i]
		}
	}
	return &store.PolicyVersion{}
}
