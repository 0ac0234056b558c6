package storetest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// t0 is the base time of the fixtures. It has nanoseconds and a zone other
// than UTC, so every fixture checks that times come back canonical.
var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535897932, time.FixedZone("UTC+1", 3600))

// at returns t0 plus n seconds and n nanoseconds.
func at(n int) time.Time {
	return t0.Add(time.Duration(n)*time.Second + time.Duration(n))
}

// crlAnchorID is the trust anchor the CRL fixtures name.
const crlAnchorID = "00000000-0000-4000-8000-0000000000aa"

// Fixtures: each returns a record with every field set to a value derived
// from i, the same for the same i, so a test can rebuild what it stored.

func uuid(kind, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, i)
}

func tags(i int) []store.Tag {
	return []store.Tag{{Key: "team", Value: "t" + strconv.Itoa(i)}, {Key: "env", Value: "prod"}}
}

func pemFor(what string) string {
	return "-----BEGIN CERTIFICATE-----\nMIIB" + what + "\n-----END CERTIFICATE-----\n"
}

func trustAnchorFixture(i int) *store.TrustAnchor {
	threshold := int32(40 + i)
	return &store.TrustAnchor{
		ID:         uuid(1, i),
		Name:       "anchor-" + strconv.Itoa(i),
		SourceType: "CERTIFICATE_BUNDLE",
		SourceData: pemFor("anchor" + strconv.Itoa(i)),
		Enabled:    true,
		NotificationSettings: []store.NotificationSetting{
			{Enabled: true, Event: "CA_CERTIFICATE_EXPIRY", Threshold: &threshold, Channel: "ALL", ConfiguredBy: "rolesanywhere.amazonaws.com"},
			{Enabled: false, Event: "END_ENTITY_CERTIFICATE_EXPIRY"},
		},
		Tags:      tags(i),
		CreatedAt: at(i),
		UpdatedAt: at(i + 1),
	}
}

func profileFixture(i int) *store.Profile {
	return &store.Profile{
		ID:                        uuid(2, i),
		Name:                      "profile-" + strconv.Itoa(i),
		Enabled:                   true,
		RoleArns:                  []string{"arn:aws:iam::123456789012:role/r" + strconv.Itoa(i), "arn:aws:iam::123456789012:role/other"},
		ManagedPolicyArns:         []string{"arn:aws:iam::123456789012:policy/p" + strconv.Itoa(i)},
		SessionPolicy:             `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		DurationSeconds:           3600,
		RequireInstanceProperties: true,
		AcceptRoleSessionName:     true,
		AttributeMappings: []store.AttributeMapping{
			{CertificateField: "x509Subject", MappingRules: []store.MappingRule{{Specifier: "CN"}, {Specifier: "OU"}}},
			{CertificateField: "x509SAN", MappingRules: []store.MappingRule{{Specifier: "DNS"}}},
		},
		CreatedBy: "arn:aws:iam::123456789012:root",
		Tags:      tags(i),
		CreatedAt: at(i),
		UpdatedAt: at(i + 1),
	}
}

func crlFixture(i int) *store.CRL {
	return &store.CRL{
		ID:            uuid(3, i),
		Name:          "crl-" + strconv.Itoa(i),
		Enabled:       true,
		Data:          []byte("-----BEGIN X509 CRL-----\nMIIC" + strconv.Itoa(i) + "\x00\xff\n-----END X509 CRL-----\n"),
		TrustAnchorID: crlAnchorID,
		Tags:          tags(i),
		CreatedAt:     at(i),
		UpdatedAt:     at(i + 1),
	}
}

// roleName returns names whose order differs from i's, in mixed case, so
// listings by name are distinguishable from listings by creation.
func roleName(i int) string {
	return fmt.Sprintf("%s-%03d", []string{"Role", "role", "ROLE"}[i%3], (i*37)%101)
}

func roleFixture(i int) *store.Role {
	name := roleName(i)
	return &store.Role{
		Name:                     name,
		ID:                       fmt.Sprintf("AROA%017d", i),
		Path:                     "/service/",
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		Description:              "role " + strconv.Itoa(i),
		MaxSessionDuration:       3600,
		Tags:                     tags(i),
		InlinePolicies: map[string]string{
			"read":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`,
			"write": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Put*","Resource":"*"}]}`,
		},
		CreatedAt: at(i),
	}
}

func policyFixture(i int) *store.ManagedPolicy {
	return &store.ManagedPolicy{
		Name:        fmt.Sprintf("Policy-%03d", i),
		ID:          fmt.Sprintf("ANPA%017d", i),
		Path:        "/service/",
		Description: "policy " + strconv.Itoa(i),
		Tags:        tags(i),
		Versions: []store.PolicyVersion{
			{VersionID: "v1", Document: `{"Version":"2012-10-17","Statement":[]}`, IsDefaultVersion: false, CreatedAt: at(i)},
			{VersionID: "v2", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, IsDefaultVersion: true, CreatedAt: at(i + 1)},
		},
		CreatedAt: at(i),
		UpdatedAt: at(i + 1),
	}
}

func sealingKeyFixture(i int) *store.SealingKey {
	key := make([]byte, 32)
	for j := range key {
		key[j] = byte(i + j)
	}
	return &store.SealingKey{ID: "k" + strconv.Itoa(i), Key: key, CreatedAt: at(i)}
}

func accountFixture() *store.Account {
	return &store.Account{
		ID:                  "123456789012",
		Region:              "us-east-1",
		Partition:           "aws",
		RootAccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		RootSecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		CreatedAt:           t0,
	}
}

// subjectID is the ID of the subject fixture i.
func subjectID(i int) string { return uuid(4, i) }

// activity returns an attempt by subject i with the certificate serial, at
// time at, sending props as instance properties.
func activity(i int, serial string, at time.Time, props map[string]string) store.SubjectActivity {
	return store.SubjectActivity{
		SubjectID:   subjectID(i),
		X509Subject: fmt.Sprintf("CN=client-%d,OU=eng,O=roam", i),
		At:          at,
		Credential: store.CredentialUse{
			SeenAt:         at.Add(-time.Hour), // ignored: the store uses At
			SerialNumber:   serial,
			Issuer:         "CN=Test CA,O=roam",
			Enabled:        true,
			CertificatePEM: pemFor(serial),
		},
		InstanceProperties: props,
	}
}
