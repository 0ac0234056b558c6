package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
)

// ServicePrincipal is the principal that assumes roles for Roles Anywhere.
const ServicePrincipal = "rolesanywhere.amazonaws.com"

// Condition keys a generated trust policy uses.
const (
	KeySourceArn = "aws:SourceArn"
	KeyCN        = "aws:PrincipalTag/x509Subject/CN"
	KeySANURI    = "aws:PrincipalTag/x509SAN/URI"
)

// TrustPolicyOptions says who may assume a role through Roles Anywhere.
type TrustPolicyOptions struct {
	// TrustAnchorArns are the trust anchors whose certificates may assume
	// the role (ArnEquals aws:SourceArn); at least one is required.
	TrustAnchorArns []string
	// CNs, when set, restricts the certificates to these subject common
	// names (StringEquals aws:PrincipalTag/x509Subject/CN). Empty allows
	// any.
	CNs []string
	// SANURIs, when set, restricts the certificates to a URI SAN matching
	// one of these patterns, with * and ? wildcards (StringLike
	// aws:PrincipalTag/x509SAN/URI). Empty allows any.
	SANURIs []string
}

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  string                    `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// conditionValue is one value as a string and several as a list, the way
// people write policies.
func conditionValue(vs []string) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}

// TrustPolicy returns the trust policy document, indented, that lets
// rolesanywhere.amazonaws.com assume a role for certificates of the given
// trust anchors: sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity,
// with aws:SourceArn pinned to the trust anchors and the optional subject
// conditions.
func TrustPolicy(o TrustPolicyOptions) (string, error) {
	if len(o.TrustAnchorArns) == 0 {
		return "", errors.New("a trust policy needs at least one trust anchor")
	}
	cond := map[string]map[string]any{
		"ArnEquals": {KeySourceArn: conditionValue(o.TrustAnchorArns)},
	}
	if len(o.CNs) > 0 {
		cond["StringEquals"] = map[string]any{KeyCN: conditionValue(o.CNs)}
	}
	if len(o.SANURIs) > 0 {
		cond["StringLike"] = map[string]any{KeySANURI: conditionValue(o.SANURIs)}
	}
	return marshalPolicy(policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": ServicePrincipal},
			// All three: without sts:TagSession or sts:SetSourceIdentity,
			// CreateSession fails with "Unable to assume role".
			Action:    []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"},
			Condition: cond,
		}},
	})
}

// ReadOnlyPolicyName names the inline policy role create --read-only puts.
const ReadOnlyPolicyName = "read-only"

// ReadOnlyPolicy is a permission policy that lets a role read, but not
// change, what roam serves: Roles Anywhere and IAM resources.
func ReadOnlyPolicy() string {
	doc, _ := marshalPolicy(policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:   "Allow",
			Action:   []string{"rolesanywhere:Get*", "rolesanywhere:List*", "iam:Get*", "iam:List*"},
			Resource: "*",
		}},
	})
	return doc
}

func marshalPolicy(doc policyDocument) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	return b.String(), nil
}

// DecodePolicy undoes the URL encoding IAM applies to the policy
// documents it returns; a document that is not encoded is returned as is.
func DecodePolicy(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// PolicyJSON returns a policy document as JSON for embedding in output:
// the document itself when it is valid JSON, else the document as a JSON
// string.
func PolicyJSON(doc string) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, []byte(doc)) == nil { // Compact fails on invalid JSON
		return b.Bytes()
	}
	s, _ := json.Marshal(doc)
	return s
}

// IndentPolicy returns a policy document indented for reading, or as it is
// when it is not JSON.
func IndentPolicy(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return b.String()
}
