package e2e

import (
	"encoding/json"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// TestBoto3Operations runs testdata/boto3_operations.py: boto3, as
// installed, calls all 30 operations of the service model against roam in
// one flow and asserts on every result. Subjects only appear after a
// CreateSession (not a boto3 operation), so the test signs one first. The
// script's summary must show every operation of the model called, each
// success with the model's status code and each expected error with its
// error shape's status.
func TestBoto3Operations(t *testing.T) {
	python := testenv.Tool(t, "python3")
	if _, err := run(t, nil, python, "-c", "import boto3"); err != nil {
		testenv.Missing(t, "boto3 is not importable: "+err.Error())
	}
	e := start(t)
	ca := testpki.NewCA(t, testpki.WithCN("Boto3 CA"))
	caPEM := string(testpki.PEM(ca.Cert))
	const subjectCN = "boto3-client"
	subjectID := e.prepareSubject(t, e.setup(t, "boto3-subject", caPEM), ca, subjectCN)

	dir := t.TempDir()
	crlFiles := []string{filepath.Join(dir, "crl1.pem"), filepath.Join(dir, "crl2.pem")}
	writeFile(t, crlFiles[0], string(makeCRL(t, ca, big.NewInt(1001))), 0o644)
	writeFile(t, crlFiles[1], string(makeCRL(t, ca, big.NewInt(1001), big.NewInt(1002))), 0o644)
	cfg, _ := json.Marshal(map[string]any{
		"endpoint": e.url, "region": e.account.Region,
		"accessKeyId": e.account.RootAccessKeyID, "secretAccessKey": e.account.RootSecretAccessKey,
		"caPem": caPEM, "crlFiles": crlFiles,
		"roleArns":  []string{e.createRole(t, "boto3-role-1"), e.createRole(t, "boto3-role-2")},
		"subjectId": subjectID, "subjectCN": subjectCN,
	})
	cfgFile := filepath.Join(dir, "config.json")
	writeFile(t, cfgFile, string(cfg), 0o600)

	out, err := run(t, nil, python, filepath.Join(testenv.RepoRoot(t), "internal", "e2e", "testdata", "boto3_operations.py"), cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	var summary struct {
		Boto3, Botocore string
		ModelOperations []string
		Calls           []struct {
			Operation string
			Status    int
			Error     *string
		}
		Checks int
	}
	mustJSON(t, out, &summary)
	t.Logf("boto3 %s, botocore %s: %d calls, %d checks", summary.Boto3, summary.Botocore, len(summary.Calls), summary.Checks)

	m := loadModel(t, currentModelFile)
	if !slices.Equal(summary.ModelOperations, m.operationNames()) {
		t.Errorf("botocore's model has %v, testdata/aws-models has %v", summary.ModelOperations, m.operationNames())
	}
	called := map[string]bool{}
	errorsSeen := map[string]bool{}
	for _, c := range summary.Calls {
		op, ok := m.Operations[c.Operation]
		if !ok {
			t.Errorf("boto3 called %s, which is not in the model", c.Operation)
			continue
		}
		if c.Error != nil {
			errorsSeen[*c.Error] = true
			es := m.Shapes[*c.Error]
			if es == nil || es.Error == nil || es.Error.HTTPStatusCode != c.Status {
				t.Errorf("%s failed with %d %s, which the model does not define that way", c.Operation, c.Status, *c.Error)
			}
			continue
		}
		called[c.Operation] = true
		if c.Status != op.responseCode() {
			t.Errorf("%s answered %d, the model says %d", c.Operation, c.Status, op.responseCode())
		}
	}
	if got, want := sortedKeys(called), m.operationNames(); !slices.Equal(got, want) {
		t.Errorf("operations boto3 ran successfully: %v, want all %d: %v", got, len(want), want)
	}
	for _, code := range []string{"ValidationException", "ResourceNotFoundException"} {
		if !errorsSeen[code] {
			t.Errorf("the script never saw %s", code)
		}
	}
	if summary.Checks < 50 {
		t.Errorf("the script made only %d checks", summary.Checks)
	}
}
