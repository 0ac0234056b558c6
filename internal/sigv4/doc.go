// Package sigv4 implements AWS Signature Version 4 (AWS4-HMAC-SHA256): the
// canonicalisation steps shared with the X.509 variant (internal/sigv4x509),
// the Authorization header and presigned query parsers, a server-side
// verifier for requests signed by the AWS CLI, botocore/boto3 and
// aws-sdk-go-v2, and a client-side signer for our own tools and tests.
//
// The pipeline is a row of small pure functions, as in the SigV4
// specification: [CanonicalURI], [CanonicalQuery], [CanonicalHeaders] →
// [CanonicalRequest] → [StringToSign] → [SigningKey] and an HMAC. Time is
// always an argument; nothing here reads the clock.
//
// A server verifies a request in three steps:
//
//	req, err := sigv4.ParseRequest(r, body)        // *Error of KindMissing / KindIncomplete / ...
//	err = req.CheckTime(now, sigv4.DefaultMaxSkew) // KindExpired
//	secret := lookup(req.AccessKeyID)
//	err = req.Verify(secret)                       // KindMismatch
//
// Every failure is an [*Error] carrying a [Kind] the server maps to its
// protocol's error code, and a Message worded like AWS's own.
package sigv4
