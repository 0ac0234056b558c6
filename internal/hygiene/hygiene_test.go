package hygiene

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// TestPackageDocs: each package has exactly one package doc comment, in a
// non-test file, starting with "Package <name>" (or "Command" for main).
func TestPackageDocs(t *testing.T) {
	root := testenv.RepoRoot(t)
	dirs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, files := range dirs {
		var docs []string
		name := ""
		for _, f := range files {
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			name = file.Name.Name
			if file.Doc != nil {
				docs = append(docs, filepath.Base(f)+": "+firstLine(file.Doc.Text()))
			}
		}
		rel, _ := filepath.Rel(root, dir)
		switch {
		case len(docs) != 1:
			t.Errorf("%s: %d package doc comments, want 1: %v", rel, len(docs), docs)
		case name == "main" && !strings.Contains(docs[0], ": Command "):
			t.Errorf("%s: the command's doc should start with \"Command\": %s", rel, docs[0])
		case name != "main" && !strings.Contains(docs[0], ": Package "+name+" "):
			t.Errorf("%s: the doc should start with \"Package %s\": %s", rel, name, docs[0])
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestHelperDependencies keeps the credential helper's packages free of
// server code and database drivers: they run on every workload machine.
func TestHelperDependencies(t *testing.T) {
	goTool := testenv.Tool(t, "go")
	banned := []string{
		"modernc.org/sqlite", "github.com/jackc/pgx",
		"github.com/roam-dev/roam/internal/store", "github.com/roam-dev/roam/internal/server",
		"github.com/roam-dev/roam/internal/session", "github.com/roam-dev/roam/internal/rolesanywhere",
		"github.com/prometheus/client_golang",
	}
	for _, target := range [][]string{
		{"./internal/helper"}, {"./internal/keysource"}, {"./internal/sigv4"}, {"./internal/sigv4x509"},
		{"-tags", "helper", "./cmd/roam"}, // the helper-only binary itself
	} {
		pkg := strings.Join(target, " ")
		cmd := exec.Command(goTool, append([]string{"list", "-deps", "-json=ImportPath"}, target...)...)
		cmd.Dir = testenv.RepoRoot(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for dec.More() {
			var p struct{ ImportPath string }
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			for _, b := range banned {
				if strings.HasPrefix(p.ImportPath, b) {
					t.Errorf("%s depends on %s", pkg, p.ImportPath)
				}
			}
		}
	}
}
