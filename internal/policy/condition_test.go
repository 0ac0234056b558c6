package policy

import (
	"strings"
	"testing"
)

// condDoc wraps one condition in an identity policy allowing s3:GetObject.
func condDoc(version, op, key, values string) string {
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	return `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",` +
		`"Condition":{"` + op + `":{"` + key + `":` + values + `}}}}`
}

// TestConditionOperators evaluates one condition per case. want true means
// Allow; false means an implicit deny whose miss names this condition.
func TestConditionOperators(t *testing.T) {
	const (
		t2024 = "2024-01-01T00:00:00Z"
		e2024 = "1704067200" // 2024-01-01T00:00:00Z in epoch seconds
	)
	type kv = map[string][]string
	tests := []struct {
		name    string
		version string // default 2012-10-17; "none" for no Version
		op      string
		key     string
		values  string // JSON
		ctx     kv     // nil: the key is absent
		want    bool
	}{
		// String operators.
		{"StringEquals/match", "", "StringEquals", "aws:username", `"alice"`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals/value case-sensitive", "", "StringEquals", "aws:username", `"alice"`, kv{"aws:username": {"Alice"}}, false},
		{"StringEquals/values ORed", "", "StringEquals", "aws:username", `["bob","alice"]`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals/no value matches", "", "StringEquals", "aws:username", `["bob","carol"]`, kv{"aws:username": {"alice"}}, false},
		{"StringEquals/absent", "", "StringEquals", "aws:username", `"alice"`, nil, false},
		{"StringEquals/key name case-insensitive", "", "StringEquals", "AWS:UserName", `"alice"`, kv{"aws:username": {"alice"}}, true},
		{"StringEquals/number value", "", "StringEquals", "aws:SourceAccount", `123456789012`, kv{"aws:SourceAccount": {"123456789012"}}, true},
		{"StringEquals/bool value", "", "StringEquals", "aws:MultiFactorAuthPresent", `true`, kv{"aws:MultiFactorAuthPresent": {"true"}}, true},
		{"StringEquals/no wildcards", "", "StringEquals", "aws:username", `"ali*"`, kv{"aws:username": {"alice"}}, false},
		{"StringEquals/empty value list", "", "StringEquals", "aws:username", `[]`, kv{"aws:username": {"alice"}}, false},
		{"StringNotEquals/different", "", "StringNotEquals", "aws:username", `"alice"`, kv{"aws:username": {"bob"}}, true},
		{"StringNotEquals/equal", "", "StringNotEquals", "aws:username", `"alice"`, kv{"aws:username": {"alice"}}, false},
		{"StringNotEquals/equal to one of several", "", "StringNotEquals", "aws:username", `["alice","bob"]`, kv{"aws:username": {"bob"}}, false},
		{"StringNotEquals/equal to none", "", "StringNotEquals", "aws:username", `["alice","bob"]`, kv{"aws:username": {"carol"}}, true},
		{"StringNotEquals/absent is true", "", "StringNotEquals", "aws:username", `"alice"`, nil, true},
		{"StringNotEquals/case-sensitive", "", "StringNotEquals", "aws:username", `"alice"`, kv{"aws:username": {"ALICE"}}, true},
		{"StringEqualsIgnoreCase/match", "", "StringEqualsIgnoreCase", "aws:username", `"ALICE"`, kv{"aws:username": {"alice"}}, true},
		{"StringEqualsIgnoreCase/mismatch", "", "StringEqualsIgnoreCase", "aws:username", `"alice"`, kv{"aws:username": {"bob"}}, false},
		{"StringEqualsIgnoreCase/absent", "", "StringEqualsIgnoreCase", "aws:username", `"alice"`, nil, false},
		{"StringNotEqualsIgnoreCase/same letters", "", "StringNotEqualsIgnoreCase", "aws:username", `"ALICE"`, kv{"aws:username": {"alice"}}, false},
		{"StringNotEqualsIgnoreCase/different", "", "StringNotEqualsIgnoreCase", "aws:username", `"alice"`, kv{"aws:username": {"bob"}}, true},
		{"StringNotEqualsIgnoreCase/absent", "", "StringNotEqualsIgnoreCase", "aws:username", `"alice"`, nil, true},
		{"StringLike/star", "", "StringLike", "aws:username", `"ali*"`, kv{"aws:username": {"alice"}}, true},
		{"StringLike/question mark", "", "StringLike", "aws:username", `"a?ice"`, kv{"aws:username": {"alice"}}, true},
		{"StringLike/question mark needs one char", "", "StringLike", "aws:username", `"alice?"`, kv{"aws:username": {"alice"}}, false},
		{"StringLike/case-sensitive", "", "StringLike", "aws:username", `"ALI*"`, kv{"aws:username": {"alice"}}, false},
		{"StringLike/star matches empty", "", "StringLike", "s3:prefix", `"home/*"`, kv{"s3:prefix": {"home/"}}, true},
		{"StringLike/star absent", "", "StringLike", "aws:username", `"*"`, nil, false},
		{"StringLike/unicode question mark", "", "StringLike", "aws:username", `"j?rg"`, kv{"aws:username": {"jörg"}}, true},
		{"StringNotLike/matches", "", "StringNotLike", "aws:username", `"ali*"`, kv{"aws:username": {"alice"}}, false},
		{"StringNotLike/does not match", "", "StringNotLike", "aws:username", `"bo*"`, kv{"aws:username": {"alice"}}, true},
		{"StringNotLike/absent is true", "", "StringNotLike", "aws:username", `"bo*"`, nil, true},

		// Numeric operators.
		{"NumericEquals/equal", "", "NumericEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericEquals/equal as decimal", "", "NumericEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"10.0"}}, true},
		{"NumericEquals/string policy value", "", "NumericEquals", "s3:max-keys", `"10"`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericEquals/different", "", "NumericEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"11"}}, false},
		{"NumericEquals/request not a number", "", "NumericEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"ten"}}, false},
		{"NumericEquals/absent", "", "NumericEquals", "s3:max-keys", `10`, nil, false},
		{"NumericNotEquals/different", "", "NumericNotEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"11"}}, true},
		{"NumericNotEquals/equal", "", "NumericNotEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"10"}}, false},
		{"NumericNotEquals/absent is true", "", "NumericNotEquals", "s3:max-keys", `10`, nil, true},
		{"NumericLessThan/less", "", "NumericLessThan", "s3:max-keys", `10`, kv{"s3:max-keys": {"9"}}, true},
		{"NumericLessThan/equal", "", "NumericLessThan", "s3:max-keys", `10`, kv{"s3:max-keys": {"10"}}, false},
		{"NumericLessThan/negative", "", "NumericLessThan", "s3:max-keys", `0`, kv{"s3:max-keys": {"-1.5"}}, true},
		{"NumericLessThanEquals/equal", "", "NumericLessThanEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericLessThanEquals/greater", "", "NumericLessThanEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"11"}}, false},
		{"NumericGreaterThan/greater", "", "NumericGreaterThan", "s3:max-keys", `10`, kv{"s3:max-keys": {"11"}}, true},
		{"NumericGreaterThan/equal", "", "NumericGreaterThan", "s3:max-keys", `10`, kv{"s3:max-keys": {"10"}}, false},
		{"NumericGreaterThanEquals/equal", "", "NumericGreaterThanEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"10"}}, true},
		{"NumericGreaterThanEquals/less", "", "NumericGreaterThanEquals", "s3:max-keys", `10`, kv{"s3:max-keys": {"9"}}, false},
		{"NumericGreaterThanEquals/exponent", "", "NumericGreaterThanEquals", "s3:max-keys", `1e3`, kv{"s3:max-keys": {"1000"}}, true},

		// Date operators.
		{"DateEquals/same instant", "", "DateEquals", "aws:CurrentTime", `"` + t2024 + `"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateEquals/other offset same instant", "", "DateEquals", "aws:CurrentTime", `"2024-01-01T01:00:00+01:00"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateEquals/epoch policy value", "", "DateEquals", "aws:CurrentTime", e2024, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateEquals/epoch request value", "", "DateEquals", "aws:EpochTime", `"` + t2024 + `"`, kv{"aws:EpochTime": {e2024}}, true},
		{"DateEquals/date only", "", "DateEquals", "aws:CurrentTime", `"2024-01-01"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateEquals/fractional seconds", "", "DateEquals", "aws:CurrentTime", `"2024-01-01T00:00:00.000Z"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateEquals/basic format", "", "DateEquals", "aws:CurrentTime", `"20240101T000000Z"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateEquals/different", "", "DateEquals", "aws:CurrentTime", `"2024-01-02T00:00:00Z"`, kv{"aws:CurrentTime": {t2024}}, false},
		{"DateEquals/request not a date", "", "DateEquals", "aws:CurrentTime", `"` + t2024 + `"`, kv{"aws:CurrentTime": {"yesterday"}}, false},
		{"DateNotEquals/different", "", "DateNotEquals", "aws:CurrentTime", `"2024-01-02T00:00:00Z"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateNotEquals/equal", "", "DateNotEquals", "aws:CurrentTime", `"` + t2024 + `"`, kv{"aws:CurrentTime": {t2024}}, false},
		{"DateLessThan/before", "", "DateLessThan", "aws:CurrentTime", `"2025-01-01T00:00:00Z"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateLessThan/after", "", "DateLessThan", "aws:CurrentTime", `"2023-01-01T00:00:00Z"`, kv{"aws:CurrentTime": {t2024}}, false},
		{"DateLessThan/absent", "", "DateLessThan", "aws:CurrentTime", `"2025-01-01T00:00:00Z"`, nil, false},
		{"DateLessThanEquals/equal", "", "DateLessThanEquals", "aws:CurrentTime", `"` + t2024 + `"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateLessThanEquals/after", "", "DateLessThanEquals", "aws:CurrentTime", `"2023-12-31T23:59:59Z"`, kv{"aws:CurrentTime": {t2024}}, false},
		{"DateGreaterThan/after", "", "DateGreaterThan", "aws:CurrentTime", `"2023-01-01T00:00:00Z"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateGreaterThan/equal", "", "DateGreaterThan", "aws:CurrentTime", `"` + t2024 + `"`, kv{"aws:CurrentTime": {t2024}}, false},
		{"DateGreaterThanEquals/equal", "", "DateGreaterThanEquals", "aws:CurrentTime", `"` + t2024 + `"`, kv{"aws:CurrentTime": {t2024}}, true},
		{"DateGreaterThanEquals/before", "", "DateGreaterThanEquals", "aws:CurrentTime", `"2024-01-01T00:00:01Z"`, kv{"aws:CurrentTime": {t2024}}, false},

		// Bool.
		{"Bool/true", "", "Bool", "aws:SecureTransport", `"true"`, kv{"aws:SecureTransport": {"true"}}, true},
		{"Bool/JSON literal", "", "Bool", "aws:SecureTransport", `true`, kv{"aws:SecureTransport": {"true"}}, true},
		{"Bool/case-insensitive", "", "Bool", "aws:SecureTransport", `"true"`, kv{"aws:SecureTransport": {"TRUE"}}, true},
		{"Bool/false wanted", "", "Bool", "aws:SecureTransport", `"false"`, kv{"aws:SecureTransport": {"false"}}, true},
		{"Bool/mismatch", "", "Bool", "aws:SecureTransport", `"true"`, kv{"aws:SecureTransport": {"false"}}, false},
		{"Bool/absent", "", "Bool", "aws:SecureTransport", `"false"`, nil, false},

		// BinaryEquals.
		{"BinaryEquals/equal", "", "BinaryEquals", "aws:Binary", `"QmluYXJ5VmFsdWU="`, kv{"aws:Binary": {"QmluYXJ5VmFsdWU="}}, true},
		{"BinaryEquals/unpadded request", "", "BinaryEquals", "aws:Binary", `"QmluYXJ5VmFsdWU="`, kv{"aws:Binary": {"QmluYXJ5VmFsdWU"}}, true},
		{"BinaryEquals/different", "", "BinaryEquals", "aws:Binary", `"QmluYXJ5VmFsdWU="`, kv{"aws:Binary": {"T3RoZXI="}}, false},
		{"BinaryEquals/request not base64", "", "BinaryEquals", "aws:Binary", `"QmluYXJ5VmFsdWU="`, kv{"aws:Binary": {"!!"}}, false},
		{"BinaryEquals/absent", "", "BinaryEquals", "aws:Binary", `"QmluYXJ5VmFsdWU="`, nil, false},

		// IP address operators.
		{"IpAddress/in CIDR", "", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress/outside CIDR", "", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, kv{"aws:SourceIp": {"198.51.100.1"}}, false},
		{"IpAddress/plain address", "", "IpAddress", "aws:SourceIp", `"203.0.113.7"`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress/plain address other", "", "IpAddress", "aws:SourceIp", `"203.0.113.7"`, kv{"aws:SourceIp": {"203.0.113.8"}}, false},
		{"IpAddress/several blocks ORed", "", "IpAddress", "aws:SourceIp", `["10.0.0.0/8","203.0.113.0/24"]`, kv{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"IpAddress/IPv6", "", "IpAddress", "aws:SourceIp", `"2001:db8::/32"`, kv{"aws:SourceIp": {"2001:db8::1"}}, true},
		{"IpAddress/IPv6 block, IPv4 request", "", "IpAddress", "aws:SourceIp", `"2001:db8::/32"`, kv{"aws:SourceIp": {"203.0.113.7"}}, false},
		{"IpAddress/IPv4-mapped request", "", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, kv{"aws:SourceIp": {"::ffff:203.0.113.7"}}, true},
		{"IpAddress/request not an address", "", "IpAddress", "aws:SourceIp", `"0.0.0.0/0"`, kv{"aws:SourceIp": {"localhost"}}, false},
		{"IpAddress/absent", "", "IpAddress", "aws:SourceIp", `"0.0.0.0/0"`, nil, false},
		{"NotIpAddress/outside", "", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, kv{"aws:SourceIp": {"198.51.100.1"}}, true},
		{"NotIpAddress/inside", "", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, kv{"aws:SourceIp": {"203.0.113.7"}}, false},
		{"NotIpAddress/absent is true", "", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, nil, true},

		// ARN operators.
		{"ArnEquals/equal", "", "ArnEquals", "aws:SourceArn", `"` + anchorARN + `"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnEquals/different", "", "ArnEquals", "aws:SourceArn", `"` + anchorARN + `"`, kv{"aws:SourceArn": {otherAnchor}}, false},
		{"ArnEquals/case-sensitive", "", "ArnEquals", "aws:SourceArn", `"` + anchorARN + `"`, kv{"aws:SourceArn": {strings.ToUpper(anchorARN)}}, false},
		{"ArnEquals/wildcards too", "", "ArnEquals", "aws:SourceArn", `"arn:aws:rolesanywhere:*:123456789012:trust-anchor/*"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnLike/resource wildcard", "", "ArnLike", "aws:SourceArn", `"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/*"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnLike/component question mark", "", "ArnLike", "aws:SourceArn", `"arn:aws:rolesanywhere:us-east-?:123456789012:trust-anchor/abc"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnLike/component prefix", "", "ArnLike", "aws:SourceArn", `"arn:aws:rolesanywhere:us-east-1:1234*:trust-anchor/abc"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnLike/star does not cross colon", "", "ArnLike", "aws:SourceArn", `"arn:aws:*:123456789012:trust-anchor/abc"`, kv{"aws:SourceArn": {anchorARN}}, false},
		{"ArnLike/resource keeps colons", "", "ArnLike", "aws:SourceArn", `"arn:aws:logs:us-east-1:123456789012:log-group:*"`, kv{"aws:SourceArn": {"arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:x"}}, true},
		{"ArnLike/bare star", "", "ArnLike", "aws:SourceArn", `"*"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnLike/request not an ARN", "", "ArnLike", "aws:SourceArn", `"arn:aws:rolesanywhere:*:*:*"`, kv{"aws:SourceArn": {"trust-anchor/abc"}}, false},
		{"ArnLike/profile instead of anchor", "", "ArnLike", "aws:SourceArn", `"` + profileARN + `"`, kv{"aws:SourceArn": {anchorARN}}, false},
		{"ArnNotEquals/different", "", "ArnNotEquals", "aws:SourceArn", `"` + otherAnchor + `"`, kv{"aws:SourceArn": {anchorARN}}, true},
		{"ArnNotEquals/equal", "", "ArnNotEquals", "aws:SourceArn", `"` + anchorARN + `"`, kv{"aws:SourceArn": {anchorARN}}, false},
		{"ArnNotLike/matches", "", "ArnNotLike", "aws:SourceArn", `"arn:aws:rolesanywhere:*:*:trust-anchor/*"`, kv{"aws:SourceArn": {anchorARN}}, false},
		{"ArnNotLike/absent is true", "", "ArnNotLike", "aws:SourceArn", `"arn:aws:rolesanywhere:*:*:trust-anchor/*"`, nil, true},

		// Null.
		{"Null true/absent", "", "Null", "aws:TokenIssueTime", `"true"`, nil, true},
		{"Null true/present", "", "Null", "aws:TokenIssueTime", `"true"`, kv{"aws:TokenIssueTime": {t2024}}, false},
		{"Null false/present", "", "Null", "aws:TokenIssueTime", `false`, kv{"aws:TokenIssueTime": {t2024}}, true},
		{"Null false/absent", "", "Null", "aws:TokenIssueTime", `"false"`, nil, false},
		{"Null/both values", "", "Null", "aws:TokenIssueTime", `["true","false"]`, nil, true},
		{"Null/empty string is present", "", "Null", "aws:TokenIssueTime", `"true"`, kv{"aws:TokenIssueTime": {""}}, false},

		// ...IfExists.
		{"StringEqualsIfExists/absent", "", "StringEqualsIfExists", "aws:username", `"alice"`, nil, true},
		{"StringEqualsIfExists/present match", "", "StringEqualsIfExists", "aws:username", `"alice"`, kv{"aws:username": {"alice"}}, true},
		{"StringEqualsIfExists/present mismatch", "", "StringEqualsIfExists", "aws:username", `"alice"`, kv{"aws:username": {"bob"}}, false},
		{"StringNotEqualsIfExists/absent", "", "StringNotEqualsIfExists", "aws:username", `"alice"`, nil, true},
		{"StringNotEqualsIfExists/present equal", "", "StringNotEqualsIfExists", "aws:username", `"alice"`, kv{"aws:username": {"alice"}}, false},
		{"StringLikeIfExists/present mismatch", "", "StringLikeIfExists", "aws:username", `"a*"`, kv{"aws:username": {"bob"}}, false},
		{"NumericLessThanIfExists/absent", "", "NumericLessThanIfExists", "s3:max-keys", `10`, nil, true},
		{"NumericLessThanIfExists/present over", "", "NumericLessThanIfExists", "s3:max-keys", `10`, kv{"s3:max-keys": {"20"}}, false},
		{"DateGreaterThanIfExists/present before", "", "DateGreaterThanIfExists", "aws:TokenIssueTime", `"2025-01-01T00:00:00Z"`, kv{"aws:TokenIssueTime": {t2024}}, false},
		{"BoolIfExists/absent", "", "BoolIfExists", "aws:MultiFactorAuthPresent", `"true"`, nil, true},
		{"BinaryEqualsIfExists/absent", "", "BinaryEqualsIfExists", "aws:Binary", `"QQ=="`, nil, true},
		{"IpAddressIfExists/absent", "", "IpAddressIfExists", "aws:SourceIp", `"10.0.0.0/8"`, nil, true},
		{"IpAddressIfExists/present outside", "", "IpAddressIfExists", "aws:SourceIp", `"10.0.0.0/8"`, kv{"aws:SourceIp": {"192.0.2.1"}}, false},
		{"ArnLikeIfExists/present mismatch", "", "ArnLikeIfExists", "aws:SourceArn", `"` + profileARN + `"`, kv{"aws:SourceArn": {anchorARN}}, false},
		{"ArnNotLikeIfExists/present match", "", "ArnNotLikeIfExists", "aws:SourceArn", `"` + anchorARN + `"`, kv{"aws:SourceArn": {anchorARN}}, false},

		// Set qualifiers.
		{"ForAllValues:StringEquals/subset", "", "ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, kv{"aws:TagKeys": {"env"}}, true},
		{"ForAllValues:StringEquals/all listed", "", "ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, kv{"aws:TagKeys": {"team", "env"}}, true},
		{"ForAllValues:StringEquals/one outside", "", "ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, kv{"aws:TagKeys": {"env", "cost"}}, false},
		{"ForAllValues:StringEquals/absent is true", "", "ForAllValues:StringEquals", "aws:TagKeys", `["env","team"]`, nil, true},
		{"ForAllValues:StringLike/all match", "", "ForAllValues:StringLike", "aws:TagKeys", `"env*"`, kv{"aws:TagKeys": {"env1", "env2"}}, true},
		{"ForAllValues:StringNotEquals/none listed", "", "ForAllValues:StringNotEquals", "aws:TagKeys", `"secret"`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAllValues:StringNotEquals/one listed", "", "ForAllValues:StringNotEquals", "aws:TagKeys", `"secret"`, kv{"aws:TagKeys": {"env", "secret"}}, false},
		{"ForAnyValue:StringEquals/one listed", "", "ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, kv{"aws:TagKeys": {"cost", "team"}}, true},
		{"ForAnyValue:StringEquals/none listed", "", "ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, kv{"aws:TagKeys": {"cost", "owner"}}, false},
		{"ForAnyValue:StringEquals/absent is false", "", "ForAnyValue:StringEquals", "aws:TagKeys", `["env","team"]`, nil, false},
		{"ForAnyValue:StringNotEquals/all listed", "", "ForAnyValue:StringNotEquals", "aws:TagKeys", `"env"`, kv{"aws:TagKeys": {"env"}}, false},
		{"ForAnyValue:StringNotEquals/one unlisted", "", "ForAnyValue:StringNotEquals", "aws:TagKeys", `"env"`, kv{"aws:TagKeys": {"env", "team"}}, true},
		{"ForAnyValue:StringEqualsIfExists/absent", "", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", `"env"`, nil, true},
		{"ForAllValues:ArnLike/all anchors", "", "ForAllValues:ArnLike", "aws:SourceArn", `"arn:aws:rolesanywhere:*:*:trust-anchor/*"`, kv{"aws:SourceArn": {anchorARN, otherAnchor}}, true},
		{"ForAnyValue:IpAddress/one inside", "", "ForAnyValue:IpAddress", "aws:SourceIp", `"10.0.0.0/8"`, kv{"aws:SourceIp": {"192.0.2.1", "10.1.2.3"}}, true},
		{"multivalued without qualifier/any matches", "", "StringEquals", "aws:TagKeys", `"env"`, kv{"aws:TagKeys": {"team", "env"}}, true},
		{"multivalued without qualifier/negated", "", "StringNotEquals", "aws:TagKeys", `"env"`, kv{"aws:TagKeys": {"team", "env"}}, false},

		// Policy variables in condition values.
		{"variable/resolved", "", "StringEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/alice"}, "aws:username": {"alice"}}, true},
		{"variable/resolved other user", "", "StringEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/bob"}, "aws:username": {"alice"}}, false},
		{"variable/key absent", "", "StringEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/"}}, false},
		{"variable/key absent, negated", "", "StringNotEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/alice"}}, true},
		{"variable/key case-insensitive", "", "StringEquals", "s3:prefix", `"home/${AWS:UserName}"`, kv{"s3:prefix": {"home/alice"}, "aws:username": {"alice"}}, true},
		{"variable/key with slashes", "", "StringEquals", "aws:PrincipalTag/x509Subject/OU", `"${aws:PrincipalTag/x509Subject/CN}"`, kv{"aws:PrincipalTag/x509Subject/OU": {"alice"}, "aws:PrincipalTag/x509Subject/CN": {"alice"}}, true},
		{"variable/default used", "", "StringEquals", "aws:ResourceTag/team", `"${aws:PrincipalTag/team, 'none'}"`, kv{"aws:ResourceTag/team": {"none"}}, true},
		{"variable/default ignored when set", "", "StringEquals", "aws:ResourceTag/team", `"${aws:PrincipalTag/team, 'none'}"`, kv{"aws:ResourceTag/team": {"none"}, "aws:PrincipalTag/team": {"red"}}, false},
		{"variable/default with quote", "", "StringEquals", "aws:ResourceTag/team", `"${aws:PrincipalTag/team,'o''neil'}"`, kv{"aws:ResourceTag/team": {"o'neil"}}, true},
		{"variable/multivalued key unresolved", "", "StringEquals", "aws:ResourceTag/team", `"${aws:TagKeys}"`, kv{"aws:ResourceTag/team": {"a"}, "aws:TagKeys": {"a", "b"}}, false},
		{"variable/substituted star is literal", "", "StringLike", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/ab"}, "aws:username": {"a*"}}, false},
		{"variable/policy star still wildcard", "", "StringLike", "s3:prefix", `"home/${aws:username}/*"`, kv{"s3:prefix": {"home/alice/docs"}, "aws:username": {"alice"}}, true},
		{"variable/escape star", "", "StringLike", "aws:username", `"a${*}b"`, kv{"aws:username": {"a*b"}}, true},
		{"variable/escape star is not a wildcard", "", "StringLike", "aws:username", `"a${*}b"`, kv{"aws:username": {"axb"}}, false},
		{"variable/escape question mark", "", "StringLike", "aws:username", `"a${?}"`, kv{"aws:username": {"a?"}}, true},
		{"variable/escape dollar", "", "StringEquals", "aws:username", `"cost${$}"`, kv{"aws:username": {"cost$"}}, true},
		{"variable/in ArnLike", "", "ArnLike", "aws:SourceArn", `"arn:aws:rolesanywhere:*:${aws:PrincipalAccount}:trust-anchor/*"`, kv{"aws:SourceArn": {anchorARN}, "aws:PrincipalAccount": {testAccount}}, true},
		{"variable/in Bool", "", "Bool", "aws:SecureTransport", `"${aws:ViaAWSService}"`, kv{"aws:SecureTransport": {"true"}, "aws:ViaAWSService": {"true"}}, true},
		{"variable/2008 is literal", Version2008, "StringEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/${aws:username}"}, "aws:username": {"alice"}}, true},
		{"variable/2008 not substituted", Version2008, "StringEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/alice"}, "aws:username": {"alice"}}, false},
		{"variable/no Version is 2008", "none", "StringEquals", "s3:prefix", `"home/${aws:username}"`, kv{"s3:prefix": {"home/alice"}, "aws:username": {"alice"}}, false},
		{"variable/2008 star stays a wildcard", Version2008, "StringLike", "aws:username", `"a${*}b"`, kv{"aws:username": {"a${xyz}b"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := tt.version
			switch version {
			case "":
				version = Version2012
			case "none":
				version = ""
			}
			p := mustParse(t, condDoc(version, tt.op, tt.key, tt.values), IdentityPolicy)
			req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key", Context: ctx(tt.ctx)}
			res := p.Evaluate(req)
			if tt.want {
				checkResult(t, res, Allow, 0, nil)
				return
			}
			checkResult(t, res, ImplicitDeny, 0, []Element{ElementCondition})
			cm := res.Misses[0].Condition
			if cm.Operator != tt.op || cm.Key != tt.key {
				t.Errorf("miss names %s %s, want %s %s", cm.Operator, cm.Key, tt.op, tt.key)
			}
			if cm.Absent != (tt.ctx[tt.key] == nil) {
				t.Errorf("Absent = %v, want %v", cm.Absent, tt.ctx[tt.key] == nil)
			}
		})
	}
}

// TestConditionBlockLogic checks that keys within an operator and operators
// within a block are ANDed, and that the first failing one is reported.
func TestConditionBlockLogic(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
		"StringEquals":{"aws:PrincipalTag/team":"red","aws:PrincipalTag/env":"prod"},
		"Bool":{"aws:SecureTransport":"true"}}}}`
	p := mustParse(t, doc, IdentityPolicy)
	type kv = map[string][]string
	tests := []struct {
		name    string
		ctx     kv
		want    Decision
		failKey string
	}{
		{"all hold", kv{"aws:PrincipalTag/team": {"red"}, "aws:PrincipalTag/env": {"prod"}, "aws:SecureTransport": {"true"}}, Allow, ""},
		{"second key of operator fails", kv{"aws:PrincipalTag/team": {"red"}, "aws:PrincipalTag/env": {"dev"}, "aws:SecureTransport": {"true"}}, ImplicitDeny, "aws:PrincipalTag/env"},
		{"first key of operator fails", kv{"aws:PrincipalTag/team": {"blue"}, "aws:PrincipalTag/env": {"prod"}, "aws:SecureTransport": {"true"}}, ImplicitDeny, "aws:PrincipalTag/team"},
		{"second operator fails", kv{"aws:PrincipalTag/team": {"red"}, "aws:PrincipalTag/env": {"prod"}, "aws:SecureTransport": {"false"}}, ImplicitDeny, "aws:SecureTransport"},
		{"second operator key absent", kv{"aws:PrincipalTag/team": {"red"}, "aws:PrincipalTag/env": {"prod"}}, ImplicitDeny, "aws:SecureTransport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Context: ctx(tt.ctx)})
			if tt.want == Allow {
				checkResult(t, res, Allow, 0, nil)
				return
			}
			checkResult(t, res, ImplicitDeny, 0, []Element{ElementCondition})
			if got := res.Misses[0].Condition.Key; got != tt.failKey {
				t.Errorf("failing key = %q, want %q", got, tt.failKey)
			}
		})
	}
}
