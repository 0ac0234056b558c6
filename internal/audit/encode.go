package audit

import (
	"time"
	"unicode/utf8"
)

// appendRecord appends r as one JSON object and a newline. It writes the
// same document encoding/json would (the field names of Record's tags,
// empty optional fields left out) without reflection: audit records are
// written on CreateSession's hot path.
func appendRecord(b []byte, r *Record) []byte {
	b = append(b, `{"time":`...)
	b = appendTime(b, r.Time)
	field := func(name, v string, always bool) {
		if v == "" && !always {
			return
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = appendString(b, v)
	}
	field("request_id", r.RequestID, false)
	field("source_ip", r.SourceIP, true)
	field("subject", r.Subject, false)
	field("issuer", r.Issuer, false)
	field("serial", r.Serial, false)
	field("fingerprint_sha256", r.Fingerprint, false)
	field("trust_anchor_arn", r.TrustAnchorArn, false)
	field("profile_arn", r.ProfileArn, false)
	field("role_arn", r.RoleArn, false)
	field("decision", r.Decision, true)
	field("reason", r.Reason, false)
	field("explanation", r.Explanation, false)
	field("session_name", r.SessionName, false)
	if r.Expiration != nil {
		b = append(b, `,"expiration":`...)
		b = appendTime(b, *r.Expiration)
	}
	return append(b, '}', '\n')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, and <, >, &
// escaped as encoding/json does by default.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
