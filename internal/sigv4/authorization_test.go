package sigv4

import (
	"errors"
	"slices"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	const sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	okWant := &Authorization{
		Algorithm:     Algorithm,
		ID:            "AKIDEXAMPLE",
		Scope:         Scope{Date: "20150830", Region: "us-east-1", Service: "iam", Terminator: Terminator},
		SignedHeaders: []string{"content-type", "host", "x-amz-date"},
		Signature:     sig,
	}
	tests := map[string]struct {
		header  string
		want    *Authorization
		kind    Kind
		message string
	}{
		"ok/comma space": {
			header: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + sig,
			want:   okWant,
		},
		"ok/comma only": {
			header: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,SignedHeaders=content-type;host;x-amz-date,Signature=" + sig,
			want:   okWant,
		},
		"ok/extra spaces and reordered": {
			header: "  AWS4-HMAC-SHA256   Signature=" + sig + " ,  SignedHeaders=content-type;host;x-amz-date,Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request  ",
			want:   okWant,
		},
		"ok/unknown parameter ignored": {
			header: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, Foo=bar, SignedHeaders=content-type;host;x-amz-date, Signature=" + sig,
			want:   okWant,
		},
		"ok/x509 algorithm": {
			header: "AWS4-X509-RSA-SHA256 Credential=12379813738877118345/20261124/us-east-1/rolesanywhere/aws4_request, SignedHeaders=host;x-amz-x509, Signature=00",
			want: &Authorization{
				Algorithm: "AWS4-X509-RSA-SHA256", ID: "12379813738877118345",
				Scope:         Scope{Date: "20261124", Region: "us-east-1", Service: "rolesanywhere", Terminator: Terminator},
				SignedHeaders: []string{"host", "x-amz-x509"}, Signature: "00",
			},
		},
		"ok/terminator left to the caller": {
			header: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws5_request, SignedHeaders=host, Signature=00",
			want: &Authorization{Algorithm: Algorithm, ID: "AKIDEXAMPLE",
				Scope:         Scope{Date: "20150830", Region: "us-east-1", Service: "iam", Terminator: "aws5_request"},
				SignedHeaders: []string{"host"}, Signature: "00"},
		},
		"error/empty": {header: "  ", kind: KindMissing, message: MessageMissingAuthentication},
		"error/bearer token": {
			header:  "Bearer eyJ0eXAi",
			kind:    KindIncomplete,
			message: "'eyJ0eXAi' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer eyJ0eXAi'.",
		},
		"error/algorithm only": {
			header: "AWS4-HMAC-SHA256",
			kind:   KindIncomplete,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256",
		},
		"error/missing signature and signed headers": {
			header: "AWS4-HMAC-SHA256 Credential=ABCDEF",
			kind:   KindIncomplete,
			message: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=ABCDEF",
		},
		"error/space inside credential": {
			header:  "AWS4-HMAC-SHA256 Credential=AKID /20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
			kind:    KindIncomplete,
			message: "'/20150830/us-east-1/iam/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=AKID /20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00'.",
		},
		"error/credential with four elements": {
			header:  "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam, SignedHeaders=host, Signature=00",
			kind:    KindIncomplete,
			message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20150830/us-east-1/iam'",
		},
		"error/credential with empty region": {
			header: "AWS4-HMAC-SHA256 Credential=AKID/20150830//iam/aws4_request, SignedHeaders=host, Signature=00",
			kind:   KindIncomplete,
		},
		"error/credential date": {
			header:  "AWS4-HMAC-SHA256 Credential=AKID/2015-08-30/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
			kind:    KindIncomplete,
			message: "Credential date '2015-08-30' is not in YYYYMMDD format.",
		},
		"error/empty signed headers": {
			header: "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=, Signature=00",
			kind:   KindIncomplete,
		},
		"error/empty signed header name": {
			header: "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;;x-amz-date, Signature=00",
			kind:   KindIncomplete,
		},
		"error/repeated signed header": {
			header: "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;Host, Signature=00",
			kind:   KindIncomplete,
		},
		"error/empty signature": {
			header: "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=",
			kind:   KindIncomplete,
		},
		"error/duplicate parameter": {
			header: "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, Credential=B/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00",
			kind:   KindIncomplete,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAuthorization(tc.header)
			if tc.kind != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Kind != tc.kind {
					t.Fatalf("error %v, want kind %v", err, tc.kind)
				}
				if tc.message != "" && e.Message != tc.message {
					t.Fatalf("message\n got %q\nwant %q", e.Message, tc.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Algorithm != tc.want.Algorithm || got.ID != tc.want.ID || got.Scope != tc.want.Scope ||
				!slices.Equal(got.SignedHeaders, tc.want.SignedHeaders) || got.Signature != tc.want.Signature {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAuthorizationStringRoundTrip(t *testing.T) {
	a := &Authorization{
		Algorithm:     "AWS4-X509-ECDSA-SHA256",
		ID:            "3",
		Scope:         Scope{Date: "20261124", Region: "eu-west-1", Service: "rolesanywhere", Terminator: Terminator},
		SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-x509"},
		Signature:     "3045022100ab",
	}
	const want = "AWS4-X509-ECDSA-SHA256 Credential=3/20261124/eu-west-1/rolesanywhere/aws4_request, " +
		"SignedHeaders=content-type;host;x-amz-date;x-amz-x509, Signature=3045022100ab"
	if got := a.String(); got != want {
		t.Fatalf("got %s", got)
	}
	back, err := ParseAuthorization(a.String())
	if err != nil {
		t.Fatal(err)
	}
	if back.String() != want {
		t.Fatalf("round trip %s", back.String())
	}
}
