// Package sigv4x509 implements the IAM Roles Anywhere signing process
// (AWS4-X509-RSA-SHA256, AWS4-X509-ECDSA-SHA256, AWS4-X509-MLDSA): SigV4's
// canonical request and string to sign, signed with the private key of an
// X.509 certificate instead of an HMAC key. One package serves both sides:
// [Sign] for the credential helper, byte-compatible with aws_signing_helper
// 1.8.0, and [Verify] for the CreateSession handler.
//
// Verify checks the signature, the request's form and its clock; it does
// not decide whether the certificate is trusted. Building a chain to a trust
// anchor from [Verified.Certificate] and [Verified.Chain] is the caller's
// next step (internal/trust).
//
// Failures are [*Error] values with a stable [Reason], an operator-facing
// detail, and a public message ("Invalid signature" or "Untrusted signing
// certificate") safe to send to the client.
package sigv4x509
