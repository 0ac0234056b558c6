//go:build !unix

package helper

import "io/fs"

// Ownership is not checked where files have no Unix owner; the cache
// directory's location in the user's profile protects it there.
func ownedByCurrentUser(fs.FileInfo) bool { return true }
