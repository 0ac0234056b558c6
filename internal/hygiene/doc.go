// Package hygiene holds tests that keep the repository in shape: every
// package documented exactly once, and the credential helper's packages
// free of server and database code.
package hygiene
