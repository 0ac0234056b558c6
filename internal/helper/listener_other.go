//go:build !unix && !windows

package helper

import "errors"

func setHopLimit(uintptr, bool, int) error { return errors.ErrUnsupported }
