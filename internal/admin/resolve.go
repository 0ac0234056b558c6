package admin

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/arn"
)

// idPattern is a Roles Anywhere resource ID: a lowercase UUID.
var idPattern = regexp.MustCompile(`^[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}$`)

// Kind is a Roles Anywhere resource type as it appears in ARNs.
type Kind string

const (
	KindTrustAnchor Kind = "trust-anchor"
	KindProfile     Kind = "profile"
	KindCRL         Kind = "crl"
)

// noun is how messages name a kind.
func (k Kind) noun() string {
	if k == KindCRL {
		return "CRL"
	}
	return strings.ReplaceAll(string(k), "-", " ")
}

// Ref is what an operator typed to name a Roles Anywhere resource: its ID,
// its ARN, or its name.
type Ref struct {
	Kind Kind
	// ID is set for an ID or an ARN.
	ID string
	// ARN is set for an ARN.
	ARN string
	// Name is set for anything else.
	Name string
}

// ParseRef reads s as an ARN (which must be of kind k), an ID, or a name.
func ParseRef(k Kind, s string) (Ref, error) {
	switch {
	case s == "":
		return Ref{}, fmt.Errorf("empty %s reference", k.noun())
	case strings.HasPrefix(s, "arn:"):
		a, err := arn.Parse(s)
		if err != nil {
			return Ref{}, err
		}
		if a.Service != "rolesanywhere" || a.ResourceType() != string(k) {
			return Ref{}, fmt.Errorf("%s is not a %s ARN (want arn:aws:rolesanywhere:REGION:ACCOUNT:%s/ID)", s, k.noun(), k)
		}
		if !idPattern.MatchString(a.ResourceID()) {
			return Ref{}, fmt.Errorf("%s: %q is not a %s ID (a lowercase UUID)", s, a.ResourceID(), k.noun())
		}
		return Ref{Kind: k, ID: a.ResourceID(), ARN: s}, nil
	case idPattern.MatchString(s):
		return Ref{Kind: k, ID: s}, nil
	}
	return Ref{Kind: k, Name: s}, nil
}

// resolveID returns ref.ID, or for a name the ID of the one item list
// returns with that name, refusing none and several.
func resolveID[T any](ctx context.Context, ref Ref, list func(context.Context) ([]T, error), key func(T) (name, id *string)) (string, error) {
	if ref.ID != "" {
		return ref.ID, nil
	}
	items, err := list(ctx)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, it := range items {
		if name, id := key(it); aws.ToString(name) == ref.Name {
			ids = append(ids, aws.ToString(id))
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no %s is named %q", ref.Kind.noun(), ref.Name)
	case 1:
		return ids[0], nil
	}
	slices.Sort(ids)
	return "", fmt.Errorf("%d %ss are named %q (%s); name one by ID or ARN", len(ids), ref.Kind.noun(), ref.Name, strings.Join(ids, ", "))
}

// TrustAnchorID resolves ref to a trust anchor ID, listing the trust
// anchors only for a name.
func (c *Client) TrustAnchorID(ctx context.Context, ref Ref) (string, error) {
	return resolveID(ctx, ref, c.ListTrustAnchors,
		func(a ratypes.TrustAnchorDetail) (name, id *string) { return a.Name, a.TrustAnchorId })
}

// TrustAnchor fetches the trust anchor ref names.
func (c *Client) TrustAnchor(ctx context.Context, ref Ref) (*ratypes.TrustAnchorDetail, error) {
	id, err := c.TrustAnchorID(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := c.RolesAnywhere.GetTrustAnchor(ctx, &rolesanywhere.GetTrustAnchorInput{TrustAnchorId: aws.String(id)})
	if err != nil {
		return nil, c.Explain(err)
	}
	return out.TrustAnchor, nil
}

// TrustAnchorArn returns the ARN of the trust anchor ref names, asking the
// server only when ref is not an ARN (and so checking that it exists).
func (c *Client) TrustAnchorArn(ctx context.Context, ref Ref) (string, error) {
	if ref.ARN != "" {
		return ref.ARN, nil
	}
	ta, err := c.TrustAnchor(ctx, ref)
	if err != nil {
		return "", err
	}
	return aws.ToString(ta.TrustAnchorArn), nil
}

// ListTrustAnchors returns every trust anchor.
func (c *Client) ListTrustAnchors(ctx context.Context) ([]ratypes.TrustAnchorDetail, error) {
	var all []ratypes.TrustAnchorDetail
	p := rolesanywhere.NewListTrustAnchorsPaginator(c.RolesAnywhere, &rolesanywhere.ListTrustAnchorsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.Explain(err)
		}
		all = append(all, page.TrustAnchors...)
	}
	return all, nil
}

// ProfileID resolves ref to a profile ID, listing the profiles only for a
// name.
func (c *Client) ProfileID(ctx context.Context, ref Ref) (string, error) {
	return resolveID(ctx, ref, c.ListProfiles,
		func(p ratypes.ProfileDetail) (name, id *string) { return p.Name, p.ProfileId })
}

// Profile fetches the profile ref names.
func (c *Client) Profile(ctx context.Context, ref Ref) (*ratypes.ProfileDetail, error) {
	id, err := c.ProfileID(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := c.RolesAnywhere.GetProfile(ctx, &rolesanywhere.GetProfileInput{ProfileId: aws.String(id)})
	if err != nil {
		return nil, c.Explain(err)
	}
	return out.Profile, nil
}

// ListProfiles returns every profile.
func (c *Client) ListProfiles(ctx context.Context) ([]ratypes.ProfileDetail, error) {
	var all []ratypes.ProfileDetail
	p := rolesanywhere.NewListProfilesPaginator(c.RolesAnywhere, &rolesanywhere.ListProfilesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.Explain(err)
		}
		all = append(all, page.Profiles...)
	}
	return all, nil
}

// CRLID resolves ref to a CRL ID, listing the CRLs only for a name.
func (c *Client) CRLID(ctx context.Context, ref Ref) (string, error) {
	return resolveID(ctx, ref, c.ListCRLs,
		func(c ratypes.CrlDetail) (name, id *string) { return c.Name, c.CrlId })
}

// ListCRLs returns every CRL.
func (c *Client) ListCRLs(ctx context.Context) ([]ratypes.CrlDetail, error) {
	var all []ratypes.CrlDetail
	p := rolesanywhere.NewListCrlsPaginator(c.RolesAnywhere, &rolesanywhere.ListCrlsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.Explain(err)
		}
		all = append(all, page.Crls...)
	}
	return all, nil
}

// RoleName returns the IAM role name in s, a role name or a role ARN
// (arn:aws:iam::ACCOUNT:role/PATH/NAME).
func RoleName(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty role name")
	}
	if !strings.HasPrefix(s, "arn:") {
		return s, nil
	}
	a, err := arn.Parse(s)
	if err != nil {
		return "", err
	}
	if a.Service != "iam" || a.ResourceType() != "role" || a.Name() == "" {
		return "", fmt.Errorf("%s is not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)", s)
	}
	return a.Name(), nil
}

// Role fetches the IAM role s names (a name or an ARN).
func (c *Client) Role(ctx context.Context, s string) (*iamtypes.Role, error) {
	name, err := RoleName(s)
	if err != nil {
		return nil, err
	}
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, c.Explain(err)
	}
	return out.Role, nil
}

// RoleArn returns the ARN of the role s names: s itself for an ARN,
// otherwise the ARN the server reports for the name (so the role must
// exist).
func (c *Client) RoleArn(ctx context.Context, s string) (string, error) {
	if strings.HasPrefix(s, "arn:") {
		if _, err := RoleName(s); err != nil {
			return "", err
		}
		return s, nil
	}
	r, err := c.Role(ctx, s)
	if err != nil {
		return "", err
	}
	return aws.ToString(r.Arn), nil
}

// ListRoles returns every IAM role.
func (c *Client) ListRoles(ctx context.Context) ([]iamtypes.Role, error) {
	var all []iamtypes.Role
	p := iam.NewListRolesPaginator(c.IAM, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, c.Explain(err)
		}
		all = append(all, page.Roles...)
	}
	return all, nil
}

// RolePolicies are a role's inline policies (name to document) and the
// ARNs of its attached managed policies.
type RolePolicies struct {
	Inline   []InlinePolicy
	Attached []iamtypes.AttachedPolicy
}

// InlinePolicy is an inline policy of a role, its document decoded.
type InlinePolicy struct {
	Name     string
	Document string
}

// RolePolicies lists the policies of the role named name, with the
// documents of the inline ones.
func (c *Client) RolePolicies(ctx context.Context, name string) (*RolePolicies, error) {
	out := &RolePolicies{}
	ip := iam.NewListRolePoliciesPaginator(c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return nil, c.Explain(err)
		}
		for _, pn := range page.PolicyNames {
			doc, err := c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
			if err != nil {
				return nil, c.Explain(err)
			}
			out.Inline = append(out.Inline, InlinePolicy{Name: pn, Document: DecodePolicy(aws.ToString(doc.PolicyDocument))})
		}
	}
	ap := iam.NewListAttachedRolePoliciesPaginator(c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return nil, c.Explain(err)
		}
		out.Attached = append(out.Attached, page.AttachedPolicies...)
	}
	return out, nil
}
