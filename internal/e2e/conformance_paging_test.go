package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// paginator is one entry of the paginators model.
type paginator struct {
	InputToken  string `json:"input_token"`
	OutputToken string `json:"output_token"`
	ResultKey   string `json:"result_key"`
}

// paginators reads the model's paginators, by operation.
func paginators(t *testing.T) map[string]paginator {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), paginatorsModelFile))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Pagination map[string]paginator `json:"pagination"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p.Pagination
}

// page lists one page of op through the SDK and returns the IDs on it
// (the Uuid member of each item, found from the model) and the next token.
func (c *conformance) page(t *testing.T, op, resultKey string, size int64, token string) ([]string, string) {
	t.Helper()
	in := map[string]any{"pageSize": size}
	if token != "" {
		in["nextToken"] = token
	}
	x, err := c.callSDK(t, op, in)
	if err != nil || x == nil {
		t.Fatalf("%s: %v", op, err)
	}
	c.checkResponse(t, op, x)
	out := c.m.shape(t, c.m.Operations[op].Output.Shape)
	item := c.m.shape(t, c.m.shape(t, out.Members[resultKey].Shape).Member.Shape)
	idKey := ""
	for _, name := range item.memberNames() {
		if item.Members[name].Shape == "Uuid" {
			idKey = name
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(x.body, &doc); err != nil {
		t.Fatal(err)
	}
	var ids []string
	items, _ := doc[resultKey].([]any)
	for _, it := range items {
		ids = append(ids, it.(map[string]any)[idKey].(string))
	}
	next, _ := doc["nextToken"].(string)
	if next != "" {
		// The token must be acceptable as the next request's nextToken.
		in := c.m.shape(t, c.m.Operations[op].Input.Shape)
		tok := &shapeCheck{m: c.m}
		tok.value(in.Members["nextToken"].Shape, next, "$.nextToken")
		for _, p := range tok.problems {
			t.Errorf("%s returned a token the model does not accept back: %s", op, p)
		}
	}
	return ids, next
}

// pagedKind creates and deletes the items one listing returns.
type pagedKind struct {
	create func(t *testing.T) string
	remove func(t *testing.T, id string) // nil: items cannot be deleted
}

// TestConformancePaging pages every listing of the paginators model with
// pageSize=2 while items are created and deleted between pages (including
// the item the token was issued after), and checks that no item is
// repeated, that every item that existed throughout is returned, and that
// no item deleted before its page was fetched comes back.
func TestConformancePaging(t *testing.T) {
	c := newConformance(t)
	e := c.e
	ctx := context.Background()
	ca := testpki.NewCA(t, testpki.WithCN("Paging CA"))
	caPEM := string(testpki.PEM(ca.Cert))
	crlPEM := makeCRL(t, ca, big.NewInt(7))
	role := e.createRole(t, "paging-role")
	subjectRes := e.setup(t, "paging-subjects", caPEM)
	n := 0
	name := func() string { n++; return fmt.Sprintf("paging-%d", n) }

	newAnchor := func(t *testing.T) *ratypes.TrustAnchorDetail {
		out, err := e.ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{Name: aws.String(name()), Enabled: aws.Bool(true),
			Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: caPEM}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.TrustAnchor
	}
	subject := func(t *testing.T) string {
		status, _, doc := e.do(t, sessionCall{leaf: ca.Leaf(t, testpki.WithCN(name())), r: subjectRes})
		if status != http.StatusCreated {
			t.Fatalf("CreateSession: %d %v", status, doc)
		}
		arn := doc["subjectArn"].(string)
		return arn[strings.LastIndex(arn, "/")+1:]
	}
	kinds := map[string]pagedKind{
		"ListTrustAnchors": {
			create: func(t *testing.T) string { return *newAnchor(t).TrustAnchorId },
			remove: func(t *testing.T, id string) {
				if _, err := e.ra.DeleteTrustAnchor(ctx, &rolesanywhere.DeleteTrustAnchorInput{TrustAnchorId: &id}); err != nil {
					t.Fatal(err)
				}
			},
		},
		"ListProfiles": {
			create: func(t *testing.T) string {
				out, err := e.ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String(name()), RoleArns: []string{role}})
				if err != nil {
					t.Fatal(err)
				}
				return *out.Profile.ProfileId
			},
			remove: func(t *testing.T, id string) {
				if _, err := e.ra.DeleteProfile(ctx, &rolesanywhere.DeleteProfileInput{ProfileId: &id}); err != nil {
					t.Fatal(err)
				}
			},
		},
		"ListCrls": {
			create: func(t *testing.T) string {
				out, err := e.ra.ImportCrl(ctx, &rolesanywhere.ImportCrlInput{Name: aws.String(name()), CrlData: crlPEM, TrustAnchorArn: newAnchor(t).TrustAnchorArn})
				if err != nil {
					t.Fatal(err)
				}
				return *out.Crl.CrlId
			},
			remove: func(t *testing.T, id string) {
				if _, err := e.ra.DeleteCrl(ctx, &rolesanywhere.DeleteCrlInput{CrlId: &id}); err != nil {
					t.Fatal(err)
				}
			},
		},
		// Subjects cannot be deleted; new ones appear between pages.
		"ListSubjects": {create: subject},
	}

	pag := paginators(t)
	if got, want := sortedKeys(pag), sortedKeys(kinds); !slices.Equal(got, want) {
		t.Fatalf("paginators %v, test covers %v", got, want)
	}
	for _, op := range sortedKeys(pag) {
		t.Run(op, func(t *testing.T) {
			k, key := kinds[op], pag[op].ResultKey
			var created []string
			for range 7 {
				created = append(created, k.create(t))
			}
			if op == "ListSubjects" {
				for _, id := range created {
					e.waitSubject(t, id)
				}
			}
			// Everything listed now, pre-existing items included.
			start, next := c.page(t, op, key, 1000, "")
			if next != "" {
				t.Fatal("a page of 1000 is not the whole listing")
			}
			for _, id := range created {
				if !slices.Contains(start, id) {
					t.Fatalf("created item %s is not listed", id)
				}
			}

			deletedAt := map[string]int{} // id -> pages fetched when deleted
			seen := map[string]int{}      // id -> page it was on
			del := func(id string, pages int) {
				if k.remove == nil {
					return
				}
				if _, ok := deletedAt[id]; ok {
					return
				}
				k.remove(t, id)
				deletedAt[id] = pages
			}
			token := ""
			for p := 1; ; p++ {
				if p > 50 {
					t.Fatal("no end after 50 pages")
				}
				ids, next := c.page(t, op, key, 2, token)
				if len(ids) > 2 {
					t.Errorf("page %d has %d items, pageSize was 2", p, len(ids))
				}
				for _, id := range ids {
					if q, ok := seen[id]; ok {
						t.Errorf("%s is on page %d and again on page %d", id, q, p)
					}
					seen[id] = p
					if d, ok := deletedAt[id]; ok && d < p {
						t.Errorf("%s was deleted after page %d but is on page %d", id, d, p)
					}
				}
				if next == "" {
					break
				}
				switch p {
				case 1:
					// The item the token was issued after, and one not
					// reached yet.
					if len(ids) > 0 {
						del(ids[len(ids)-1], p)
					}
					del(created[len(created)-1], p)
					k.create(t)
					k.create(t)
				case 2:
					if len(ids) > 0 {
						del(ids[0], p)
					}
					k.create(t)
				case 3:
					del(created[len(created)-2], p)
					k.create(t)
				}
				token = next
			}
			for _, id := range start {
				if _, deleted := deletedAt[id]; !deleted {
					if _, ok := seen[id]; !ok {
						t.Errorf("%s existed throughout but was skipped", id)
					}
				}
			}
			t.Logf("%d items at the start, %d seen while paging, %d deleted", len(start), len(seen), len(deletedAt))
		})
	}
}
