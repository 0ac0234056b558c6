//go:build !unix && !windows

package helper

import "os"

// Platforms without flock or LockFileEx get no advisory lock; the atomic
// rename still keeps readers from seeing a partial file.

func tryLock(*os.File) error { return nil }

func unlock(*os.File) error { return nil }
