package cli

import (
	"context"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// Version is stamped at build time with -ldflags "-X github.com/roam-dev/roam/internal/cli.Version=...".
var Version = "dev"

// helperName is the program name under which roam behaves exactly like the
// official credential helper (for a symlink aws_signing_helper -> roam).
const helperName = "aws_signing_helper"

// usageError marks errors that come from parsing the command line; they are
// printed with the command's usage, like cobra does for its own errors.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Main runs the command line in args (args[0] is the program name) and
// returns the process exit status. Errors go to env.Stderr.
func Main(ctx context.Context, env *Env, args []string) int {
	prog := "roam"
	if len(args) > 0 {
		prog = filepath.Base(args[0])
		args = args[1:]
	}
	root := newRoot(env, prog)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	reportError(env, prog, cmd, err)
	return 1
}

// reportError prints err the way the command's audience expects: helper
// commands print one timestamped log line (as aws_signing_helper does),
// other commands print "roam: message".
func reportError(env *Env, prog string, cmd *cobra.Command, err error) {
	var ue usageError
	isUsage := errors.As(err, &ue) || isCobraUsageError(err)
	if isUsage {
		fmt.Fprintf(env.Stderr, "Error: %v\n", err)
		if cmd != nil {
			fmt.Fprint(env.Stderr, cmd.UsageString())
		}
	}
	if cmd != nil && isHelperCommand(cmd) {
		log.New(env.Stderr, "", log.LstdFlags).Println(err)
		return
	}
	if !isUsage {
		fmt.Fprintf(env.Stderr, "%s: %v\n", prog, err)
	}
}

// isCobraUsageError recognises the argument and flag errors cobra returns
// without a type of their own.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "if any flags in the group", "required flag(s)"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// isHelperCommand reports whether cmd is one of the aws_signing_helper
// compatible commands.
func isHelperCommand(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[annotationHelper] == "true" {
			return true
		}
	}
	return false
}

const annotationHelper = "roam/helper"

func newRoot(env *Env, prog string) *cobra.Command {
	root := &cobra.Command{
		Use:           prog,
		Short:         "Self-hosted IAM Roles Anywhere: service, credential helper and private CA",
		SilenceErrors: true,
		SilenceUsage:  true,
		// With no subcommand, print help and succeed, like aws_signing_helper.
		Run: func(cmd *cobra.Command, _ []string) { _ = cmd.Help() },
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.CompletionOptions.HiddenDefaultCmd = prog != helperName
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	root.AddCommand(newVersionCmd(env))
	for _, add := range commandSets {
		add(root, env)
	}
	return root
}

// commandSets lets each command file register itself from init, so this file
// does not change whenever a command is added.
var commandSets []func(root *cobra.Command, env *Env)

func register(add func(root *cobra.Command, env *Env)) { commandSets = append(commandSets, add) }

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(env.Stdout, Version)
			return err
		},
	}
}
