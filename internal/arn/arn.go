// Package arn parses and builds Amazon Resource Names for the resources
// roam serves: Roles Anywhere trust anchors, profiles, CRLs and subjects,
// IAM roles and policies, and STS assumed-role sessions.
package arn

import (
	"fmt"
	"strings"
)

// ARN is a parsed Amazon Resource Name:
// arn:partition:service:region:account:resource.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// Parse splits s into its six components. The resource may itself contain
// ':' and '/'.
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fmt.Errorf("invalid ARN %q: want arn:partition:service:region:account:resource", s)
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	if a.Partition == "" || a.Service == "" || a.Resource == "" {
		return ARN{}, fmt.Errorf("invalid ARN %q: empty partition, service or resource", s)
	}
	return a, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ResourceType returns the part of the resource before the first '/' (e.g.
// "trust-anchor", "role").
func (a ARN) ResourceType() string {
	t, _, _ := strings.Cut(a.Resource, "/")
	return t
}

// ResourceID returns the part of the resource after the first '/' (for a
// role with a path, the path and the name: "path/to/Name").
func (a ARN) ResourceID() string {
	_, id, _ := strings.Cut(a.Resource, "/")
	return id
}

// Name returns the last '/'-separated segment of the resource.
func (a ARN) Name() string {
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
}

// Scope identifies the partition, region and account resources live in.
type Scope struct {
	Partition string
	Region    string
	Account   string
}

// RolesAnywhere returns the ARN of a Roles Anywhere resource of the given
// type ("trust-anchor", "profile", "crl", "subject").
func (s Scope) RolesAnywhere(resourceType, id string) string {
	return ARN{s.Partition, "rolesanywhere", s.Region, s.Account, resourceType + "/" + id}.String()
}

// Role returns the ARN of an IAM role; path is "/" or "/a/b/".
func (s Scope) Role(path, name string) string {
	return ARN{s.Partition, "iam", "", s.Account, "role" + normPath(path) + name}.String()
}

// Policy returns the ARN of a customer managed IAM policy.
func (s Scope) Policy(path, name string) string {
	return ARN{s.Partition, "iam", "", s.Account, "policy" + normPath(path) + name}.String()
}

// Root returns the ARN of the account's root user.
func (s Scope) Root() string {
	return ARN{s.Partition, "iam", "", s.Account, "root"}.String()
}

// AssumedRole returns the ARN of a role session.
func (s Scope) AssumedRole(roleName, sessionName string) string {
	return ARN{s.Partition, "sts", "", s.Account, "assumed-role/" + roleName + "/" + sessionName}.String()
}

func normPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
