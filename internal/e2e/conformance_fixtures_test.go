package e2e

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

// Fixtures shared by the conformance, boto3 and AWS CLI tests.

// makeCRL returns a PEM CRL signed by ca that revokes serials.
func makeCRL(t testing.TB, ca *testpki.CA, revoked ...*big.Int) []byte {
	t.Helper()
	return pki.EncodeCRL(ca.CRL(t, time.Now(), revoked...).Raw)
}

// createRole creates an IAM role that trusts Roles Anywhere and returns
// its ARN.
func (e *env) createRole(t testing.TB, name string) string {
	t.Helper()
	out, err := e.iam.CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(trustPolicy("arn:aws:rolesanywhere:" + e.account.Region + ":" + e.account.ID + ":trust-anchor/*")),
	})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return *out.Role.Arn
}

// prepareSubject makes roam record a subject: it registers ca under a
// trust anchor of its own, signs a CreateSession with a certificate for
// cn, and waits until the subject is visible. It returns the subject ID.
func (e *env) prepareSubject(t *testing.T, r *resources, ca *testpki.CA, cn string) string {
	t.Helper()
	leaf := ca.Leaf(t, testpki.WithCN(cn))
	status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r})
	if status != http.StatusCreated {
		t.Fatalf("CreateSession for %s: %d %v", cn, status, doc)
	}
	subjectArn, _ := doc["subjectArn"].(string)
	id := subjectArn[strings.LastIndex(subjectArn, "/")+1:]
	e.waitSubject(t, id)
	return id
}

// waitSubject waits until GetSubject finds the subject: roam records
// subjects behind CreateSession, about once a second.
func (e *env) waitSubject(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.ra.GetSubject(context.Background(), &rolesanywhere.GetSubjectInput{SubjectId: aws.String(id)})
		if err == nil {
			return
		}
		var nf *ratypes.ResourceNotFoundException
		if !errors.As(err, &nf) || time.Now().After(deadline) {
			t.Fatalf("subject %s never appeared: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
