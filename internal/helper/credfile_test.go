package helper

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// vectorCreds are the credentials of the capture server's answers.
var vectorCreds = &Credentials{AccessKeyID: "ASIAEXAMPLEACCESSKEY", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", SessionToken: "FwoGZXIvYXdzEXAMPLESESSIONTOKEN=="}

// TestUpdateCredentialsFileVectors replays the official helper's update
// runs on credentials files: where it was right roam writes the same
// bytes; where it dropped a line roam keeps it.
func TestUpdateCredentialsFileVectors(t *testing.T) {
	dir := filepath.Join(testenv.Vectors(t), "update")
	read := func(name string) string { return string(readVectorFile(t, filepath.Join(dir, name))) }
	lastLineInput := "[a]\nx = 1\n[ra]\nregion = us-east-1\n"
	tests := []struct {
		name, in, profile, want string
		// official, when set, is what aws_signing_helper wrote instead.
		official string
	}{
		{name: "existing profile rewritten", in: read("creds-before.ini"), profile: "ra", want: read("creds-after-profile-ra.ini")},
		{name: "new file", in: "", profile: "default", want: read("home1/.aws/credentials")},
		{name: "last line of the file is kept", in: lastLineInput, profile: "ra", want: read("creds-last-line2.ini"),
			official: read("creds-last-line.ini")},
		{name: "last line without newline is kept", in: strings.TrimSuffix(lastLineInput, "\n"), profile: "ra", want: read("creds-last-line2.ini"),
			official: read("creds-last-line.ini")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UpdateCredentialsFile([]byte(tt.in), tt.profile, vectorCreds)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if tt.official != "" {
				if tt.official == tt.want {
					t.Fatal("the test claims a difference from the official helper that is not there")
				}
				t.Logf("deliberate difference: aws_signing_helper drops the section's last line here:\n%s", tt.official)
			}
		})
	}

	// The official helper's loop dropped the blank line its first write had
	// added (it was the file's last line); roam keeps the file as it wrote it.
	once, _ := UpdateCredentialsFile(nil, "loop", vectorCreds)
	twice, _ := UpdateCredentialsFile(once, "loop", vectorCreds)
	if !bytes.Equal(once, twice) {
		t.Fatalf("rewriting changed the file:\n%s\n---\n%s", once, twice)
	}
	if want := read("creds-loop.ini") + "\n"; string(twice) != want {
		t.Fatalf("loop file\n%q\nwant %q", twice, want)
	}
}

func TestUpdateCredentialsFile(t *testing.T) {
	c := &Credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "ST"}
	const keys = "aws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = ST\n"
	tests := []struct {
		name, in, profile, want string
	}{
		{name: "only the exact section", profile: "ra",
			in:   "[ra2]\naws_access_key_id = X\n[profile ra]\naws_access_key_id = X\n# [ra]\n",
			want: "[ra2]\naws_access_key_id = X\n[profile ra]\naws_access_key_id = X\n# [ra]\n[ra]\n" + keys + "\n"},
		{name: "first of two sections", profile: "ra",
			in:   "[ra]\naws_access_key_id = 1\n[ra]\naws_access_key_id = 2\n",
			want: "[ra]\n" + keys + "[ra]\naws_access_key_id = 2\n"},
		{name: "trailing blanks after the header", profile: "ra", in: "[ra]  \r\n", want: "[ra]  \r\n" + strings.ReplaceAll(keys, "\n", "\r\n")},
		{name: "missing keys go before the blank separator", profile: "ra",
			in:   "[ra]\nregion = x\n\n[b]\ny = 1\n",
			want: "[ra]\nregion = x\n" + keys + "\n[b]\ny = 1\n"},
		{name: "key spellings", profile: "ra",
			in:   "[ra]\nAWS_ACCESS_KEY_ID=old\naws_secret_access_key: old\n  aws_session_token = continuation\naws_access_key_id_old = keep\n",
			want: "[ra]\naws_access_key_id = AK\naws_secret_access_key = SK\n  aws_session_token = continuation\naws_access_key_id_old = keep\naws_session_token = ST\n"},
		{name: "duplicates all replaced", profile: "ra",
			in:   "[ra]\naws_access_key_id = 1\naws_access_key_id = 2\n",
			want: "[ra]\naws_access_key_id = AK\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = ST\n"},
		{name: "CRLF kept", profile: "ra",
			in:   "[a]\r\nx = 1\r\n[ra]\r\naws_session_token = old\r\n",
			want: "[a]\r\nx = 1\r\n[ra]\r\naws_session_token = ST\r\naws_access_key_id = AK\r\naws_secret_access_key = SK\r\n"},
		{name: "header is the last line", profile: "ra", in: "[a]\n[ra]", want: "[a]\n[ra]\n" + keys},
		{name: "appended after a file without final newline", profile: "ra", in: "[a]\nx = 1", want: "[a]\nx = 1\n[ra]\n" + keys + "\n"},
		{name: "comments and unrelated bytes kept", profile: "default",
			in:   "; top\n[default]\n# comment\nregion=eu-west-1 ; trailing\n\n\n[x]\n\tweird = \xff\n",
			want: "; top\n[default]\n# comment\nregion=eu-west-1 ; trailing\n" + keys + "\n\n[x]\n\tweird = \xff\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UpdateCredentialsFile([]byte(tt.in), tt.profile, c)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			again, _ := UpdateCredentialsFile(got, tt.profile, c)
			if !bytes.Equal(again, got) {
				t.Fatalf("not idempotent:\n%q\n%q", got, again)
			}
		})
	}
}

func TestUpdateCredentialsFileRefuses(t *testing.T) {
	good := Credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "ST"}
	tests := []struct {
		name    string
		profile string
		edit    func(*Credentials)
		want    string
	}{
		{"error/empty profile", "", nil, "the profile name is empty"},
		{"error/bracket in profile", "a]b", nil, "invalid profile name"},
		{"error/newline in profile", "a\nb", nil, "invalid profile name"},
		{"error/empty secret", "ra", func(c *Credentials) { c.SecretAccessKey = "" }, "no credentials created"},
		{"error/line injection in token", "ra", func(c *Credentials) { c.SessionToken = "x\n[default]\naws_access_key_id = EVIL" }, "control characters"},
		{"error/CR in key", "ra", func(c *Credentials) { c.AccessKeyID = "A\rB" }, "control characters"},
		{"error/surrounding space", "ra", func(c *Credentials) { c.AccessKeyID = " AK" }, "surrounding spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			if tt.edit != nil {
				tt.edit(&c)
			}
			if _, err := UpdateCredentialsFile([]byte("[ra]\n"), tt.profile, &c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			path := filepath.Join(t.TempDir(), "credentials")
			if err := WriteCredentialsFile(context.Background(), path, tt.profile, &c); err == nil {
				t.Fatal("WriteCredentialsFile accepted it")
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("a refused write created the file: %v", err)
			}
		})
	}
}

// sectionKeys reads the three credential keys of the first exact [profile]
// section, the way the AWS CLI's INI parser sees them.
func sectionKeys(content []byte, profile string) map[string]string {
	out := map[string]string{}
	in := false
	for _, l := range splitLines(content) {
		switch {
		case strings.TrimRight(l.text, " \t") == "["+profile+"]" && len(out) == 0 && !in:
			in = true
		case strings.HasPrefix(l.text, "["):
			if in {
				return out
			}
		case in:
			if k := iniKey(l.text); k != "" {
				_, v, _ := strings.Cut(l.text, "=")
				out[k] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// FuzzUpdateCredentialsFile: whatever the file holds, the result carries
// the new credentials in the profile, leaves everything before the profile
// byte for byte, keeps every line (a line without a final newline may gain
// one), and is stable under a second write.
func FuzzUpdateCredentialsFile(f *testing.F) {
	f.Add([]byte("[default]\naws_access_key_id = OLD\nregion = x"), "default")
	f.Add([]byte("[a]\r\nx=1\r\n[ra]\r\n"), "ra")
	f.Add([]byte("\n\n[ra]\n\n\n"), "ra")
	f.Add([]byte("[ra]\naws_session_token\n  aws_access_key_id = c\n"), "ra")
	f.Add([]byte{}, "p")
	c := &Credentials{AccessKeyID: "AKNEW", SecretAccessKey: "SKNEW", SessionToken: "STNEW"}
	f.Fuzz(func(t *testing.T, content []byte, profile string) {
		out, err := UpdateCredentialsFile(content, profile, c)
		if err != nil {
			if checkFileValues(profile, c) == nil {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		keys := sectionKeys(out, profile)
		for k, v := range map[string]string{keyAccessKeyID: "AKNEW", keySecretAccessKey: "SKNEW", keySessionToken: "STNEW"} {
			if keys[k] != v {
				t.Fatalf("%s = %q after the update, want %q\n%q", k, keys[k], v, out)
			}
		}
		again, err := UpdateCredentialsFile(out, profile, c)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second write changed the file: %v\n%q\n%q", err, out, again)
		}
		// Every input line survives, in order (key lines of the section
		// with new values); nothing else but the three keys and a blank
		// separator is added.
		// A last line that ends in bare CRs reads as a CRLF line once it
		// gains its newline, hence the comparison without a trailing CR.
		inLines, outLines := splitLines(content), splitLines(out)
		same := func(a, b string) bool {
			return strings.TrimRight(a, "\r") == strings.TrimRight(b, "\r") || (iniKey(a) != "" && iniKey(a) == iniKey(b))
		}
		j := 0
		for _, l := range inLines {
			for j < len(outLines) && !same(outLines[j].text, l.text) {
				j++
			}
			if j == len(outLines) {
				t.Fatalf("line %q lost\nin  %q\nout %q", l.text, content, out)
			}
			j++
		}
		if added := len(outLines) - len(inLines); added < 0 || added > 5 {
			t.Fatalf("%d lines added", added)
		}
		if hdr := bytes.Index(content, []byte("["+profile+"]")); hdr >= 0 && !bytes.Equal(out[:hdr], content[:hdr]) {
			t.Fatalf("bytes before the profile changed")
		}
	})
}

// TestWriteCredentialsFile covers modes, directories, symbolic links and
// the lock.
func TestWriteCredentialsFile(t *testing.T) {
	ctx := context.Background()
	t.Run("new file and directory are private", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "home", ".aws", "credentials")
		if err := WriteCredentialsFile(ctx, path, "default", vectorCreds); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o600)
		assertMode(t, filepath.Dir(path), 0o700|os.ModeDir)
		assertMode(t, path+".lock", 0o600)
	})
	t.Run("existing mode kept", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "credentials")
		if err := os.WriteFile(path, []byte("[x]\ny = 1\n"), 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
		if err := WriteCredentialsFile(ctx, path, "ra", vectorCreds); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o640)
		if got, _ := os.ReadFile(path); !strings.HasPrefix(string(got), "[x]\ny = 1\n[ra]\naws_access_key_id = ASIAEXAMPLEACCESSKEY\n") {
			t.Fatalf("content %q", got)
		}
	})
	t.Run("symbolic link followed", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "real")
		if err := os.WriteFile(target, []byte("[keep]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "credentials")
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("no symbolic links: %v", err)
		}
		if err := WriteCredentialsFile(ctx, link, "ra", vectorCreds); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v", err)
		}
		if got, _ := os.ReadFile(target); !strings.Contains(string(got), "[keep]\n[ra]\n") {
			t.Fatalf("target %q", got)
		}
	})
	t.Run("concurrent writers lose nothing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "credentials")
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- WriteCredentialsFile(ctx, path, fmt.Sprintf("p%d", i), vectorCreds)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := os.ReadFile(path)
		for i := range 16 {
			if keys := sectionKeys(got, fmt.Sprintf("p%d", i)); keys[keySessionToken] != vectorCreds.SessionToken {
				t.Errorf("profile p%d lost:\n%s", i, got)
			}
		}
	})
	t.Run("waits for the lock", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "credentials")
		held, err := lockFile(ctx, path+".lock")
		if err != nil {
			t.Fatal(err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := WriteCredentialsFile(cancelled, path, "ra", vectorCreds); err == nil || !strings.Contains(err.Error(), "waiting for the lock") {
			t.Fatalf("error %v while the lock is held", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatal("written while the lock was held")
		}
		held.unlock()
		if err := WriteCredentialsFile(cancelled, path, "ra", vectorCreds); err != nil {
			t.Fatalf("after unlock: %v", err)
		}
	})
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Fatalf("%s: mode %v, want %v", path, got, want)
	}
}
