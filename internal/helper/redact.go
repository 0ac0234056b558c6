package helper

import (
	"fmt"
	"log/slog"
)

// String describes the credentials with the secret access key and the
// session token redacted, so that printing them by mistake leaks nothing.
func (c Credentials) String() string {
	return fmt.Sprintf("{AccessKeyID:%s SecretAccessKey:REDACTED SessionToken:REDACTED Expiration:%s}", c.AccessKeyID, c.Expiration)
}

// GoString is String, for %#v.
func (c Credentials) GoString() string { return "helper.Credentials" + c.String() }

// LogValue implements slog.LogValuer with the same redaction.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.String("secret_access_key", "REDACTED"),
		slog.String("session_token", "REDACTED"), slog.String("expiration", c.Expiration))
}
