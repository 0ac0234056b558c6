// Package cli implements the roam command line: one file per command, each
// built from an Env so tests can run commands in-process and capture output.
package cli

import (
	"io"
	"os"
	"time"
)

// Env is everything a command may take from the operating system. Commands
// never touch os.Stdout, os.Getenv or time.Now directly.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable ("" when unset).
	Getenv func(string) string
	// Now is the wall clock.
	Now func() time.Time
}

// OSEnv returns the Env of the running process.
func OSEnv() *Env {
	return &Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Now:    time.Now,
	}
}
