package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestLogWritesOneJSONLinePerRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 250 {
				r := Record{Time: exp, SourceIP: "10.0.0.1", Subject: "CN=x,O=<y>", Decision: "deny", Reason: "chain.untrusted", Explanation: "no path"}
				if (i+j)%2 == 0 {
					r = Record{Time: exp, Decision: "allow", SessionName: "01ab", Expiration: &exp}
				}
				l.Write(r)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit log mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, allows := 0, 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %q", n+1, sc.Text())
		}
		switch rec["decision"] {
		case "allow":
			allows++
			if rec["expiration"] != "2026-11-24T08:00:00Z" || rec["reason"] != nil {
				t.Errorf("allow record %v", rec)
			}
		case "deny":
			if rec["reason"] != "chain.untrusted" || rec["subject"] != "CN=x,O=<y>" {
				t.Errorf("deny record %v", rec)
			}
		default:
			t.Errorf("record without a decision: %v", rec)
		}
		n++
	}
	if n != 1000 || allows != 500 {
		t.Fatalf("%d records (%d allows), want 1000 (500)", n, allows)
	}

	// Reopening appends.
	l, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Write(Record{Decision: "allow"}) {
		t.Fatal("Write on an open log reported the record lost")
	}
	l.Close()
	// A request that outlives shutdown must not crash the server: the
	// record is refused and reported lost.
	if l.Write(Record{Decision: "deny"}) {
		t.Fatal("Write after Close reported the record kept")
	}
	data, _ := os.ReadFile(path)
	if lines := len(splitLines(data)); lines != 1001 {
		t.Fatalf("%d lines after reopening, want 1001", lines)
	}
}

func splitLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestAppendRecordMatchesEncodingJSON: the hand-written encoder writes
// what encoding/json writes, for awkward strings too.
func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	exp := time.Date(2026, 11, 24, 8, 0, 0, 123456789, time.UTC)
	for _, r := range []Record{
		{Time: exp, Decision: "allow", SessionName: "01ab", Expiration: &exp},
		{Time: exp, SourceIP: "::1", Subject: "CN=\"quoted\",O=a\\b\n\t<tag>&\u2028", Issuer: "CN=\xff\xfe bad utf-8", Decision: "deny", Reason: "r", Explanation: "ünïcödé ✓"},
		{},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRecord(nil, &r); string(got) != string(want)+"\n" {
			t.Errorf("appendRecord\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("\x00\x1f\"\\<>&\u2028\u2029\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}
