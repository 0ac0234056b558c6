// Package e2e holds roam's end-to-end tests: a real server on loopback
// with a real SQLite file, exercised by the real clients (the AWS CLI,
// boto3, the AWS SDK for Go v2) and the roam binary itself.
package e2e
