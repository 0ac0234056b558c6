package helper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/roam-dev/roam/internal/fsutil"
)

// The keys update writes into a credentials file profile, in the order it
// appends missing ones.
const (
	keyAccessKeyID     = "aws_access_key_id"
	keySecretAccessKey = "aws_secret_access_key"
	keySessionToken    = "aws_session_token"
)

// checkFileValues refuses values that would break, or inject lines into,
// an INI file: a server could otherwise smuggle "\n[default]\n..." into
// the user's credentials file.
func checkFileValues(profile string, c *Credentials) error {
	if profile == "" {
		return errors.New("the profile name is empty")
	}
	if strings.ContainsAny(profile, "[]") || hasControl(profile) {
		return fmt.Errorf("invalid profile name %q: it must not contain brackets or control characters", profile)
	}
	for _, f := range []struct{ name, v string }{
		{"access key ID", c.AccessKeyID}, {"secret access key", c.SecretAccessKey}, {"session token", c.SessionToken},
	} {
		if f.v == "" {
			return fmt.Errorf("no credentials created: the %s is empty", f.name)
		}
		if hasControl(f.v) || strings.TrimSpace(f.v) != f.v {
			return fmt.Errorf("the %s from CreateSession contains control characters or surrounding spaces; refusing to write it", f.name)
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// line is one line of a file: its text and its terminator ("\n", "\r\n"
// or "" for a last line without one).
type line struct{ text, eol string }

func splitLines(content []byte) []line {
	var lines []line
	for len(content) > 0 {
		i := bytes.IndexByte(content, '\n')
		if i < 0 {
			lines = append(lines, line{text: string(content)})
			break
		}
		text, eol := string(content[:i]), "\n"
		if strings.HasSuffix(text, "\r") {
			text, eol = text[:len(text)-1], "\r\n"
		}
		lines = append(lines, line{text, eol})
		content = content[i+1:]
	}
	return lines
}

// iniKey returns the lower-cased option name of an INI "key = value" (or
// "key: value") line, or "" for a section header, comment, blank or
// continuation line (one that starts with white space).
func iniKey(text string) string {
	if text == "" || text[0] == ' ' || text[0] == '\t' || text[0] == '#' || text[0] == ';' || text[0] == '[' {
		return ""
	}
	i := strings.IndexAny(text, "=:")
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(text[:i]))
}

// UpdateCredentialsFile returns content with the temporary credentials c
// written into the section [profile], the way aws_signing_helper's update
// does, without its bugs:
//
//   - The section is the first line that reads exactly "[profile]"
//     (trailing blanks and a CR aside); "[profile x]" or "# [profile]" do
//     not match. Without one, the section is appended at the end followed
//     by a blank line, as the official helper does.
//   - Inside it, every aws_access_key_id, aws_secret_access_key and
//     aws_session_token line is replaced by "key = value"; keys that are
//     missing are added after the section's last non-blank line.
//   - Every other byte of the file is kept, including the section's last
//     line when it is the file's last line (which the official helper
//     drops), comments, CRLF line ends and a missing final newline.
//
// Applying it twice with the same credentials gives the same bytes.
func UpdateCredentialsFile(content []byte, profile string, c *Credentials) ([]byte, error) {
	if err := checkFileValues(profile, c); err != nil {
		return nil, err
	}
	values := map[string]string{keyAccessKeyID: c.AccessKeyID, keySecretAccessKey: c.SecretAccessKey, keySessionToken: c.SessionToken}
	order := []string{keyAccessKeyID, keySecretAccessKey, keySessionToken}

	lines := splitLines(content)
	nl := "\n"
	if len(lines) > 0 && lines[0].eol == "\r\n" {
		nl = "\r\n"
	}
	header := "[" + profile + "]"
	start := -1
	for i, l := range lines {
		if strings.TrimRight(l.text, " \t") == header {
			start = i
			break
		}
	}

	var out bytes.Buffer
	out.Grow(len(content) + 512)
	if start < 0 {
		out.Write(content)
		if len(content) > 0 && !bytes.HasSuffix(content, []byte("\n")) {
			out.WriteString(nl)
		}
		out.WriteString(header + nl)
		for _, k := range order {
			out.WriteString(k + " = " + values[k] + nl)
		}
		out.WriteString(nl)
		return out.Bytes(), nil
	}

	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i].text, "[") {
			end = i
			break
		}
	}
	seen := map[string]bool{}
	lastNonBlank := start
	for i := start + 1; i < end; i++ {
		if k := iniKey(lines[i].text); values[k] != "" {
			lines[i].text = k + " = " + values[k]
			seen[k] = true
		}
		if strings.TrimSpace(lines[i].text) != "" {
			lastNonBlank = i
		}
	}
	var missing []line
	for _, k := range order {
		if !seen[k] {
			missing = append(missing, line{k + " = " + values[k], nl})
		}
	}
	if len(missing) > 0 && lines[lastNonBlank].eol == "" {
		lines[lastNonBlank].eol = nl
	}
	for i, l := range lines {
		out.WriteString(l.text + l.eol)
		if i == lastNonBlank {
			for _, m := range missing {
				out.WriteString(m.text + m.eol)
			}
		}
	}
	return out.Bytes(), nil
}

// WriteCredentialsFile writes c into the [profile] section of the
// credentials file at path (see UpdateCredentialsFile), safely:
//
//   - Writers coordinate through an advisory lock on path + ".lock", so two
//     roam update processes (or roam and anything else that takes the lock)
//     never lose each other's changes. The lock file is left in place.
//   - The file is replaced atomically (temporary file, fsync, rename), so a
//     reader never sees half a file and a crash never leaves one.
//   - A new file gets mode 0600 and a new parent directory 0700; an
//     existing file keeps its mode. A symbolic link is followed and its
//     target rewritten.
func WriteCredentialsFile(ctx context.Context, path, profile string, c *Credentials) error {
	if err := checkFileValues(profile, c); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return fmt.Errorf("credentials file %s: %w", path, err)
		}
		path = target
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("unable to create the credentials file's directory: %w", err)
	}
	lock, err := lockFile(ctx, path+".lock")
	if err != nil {
		return err
	}
	defer lock.unlock()

	mode := os.FileMode(0o600)
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	default:
		return fmt.Errorf("unable to read the credentials file: %w", err)
	}
	updated, err := UpdateCredentialsFile(old, profile, c)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, updated, mode); err != nil {
		return fmt.Errorf("unable to write the credentials file: %w", err)
	}
	return nil
}
