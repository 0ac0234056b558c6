// Command roam is the self-hostable IAM Roles Anywhere service, its
// credential helper and its private CA, in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/roam-dev/roam/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.OSEnv(), os.Args)
	stop()
	os.Exit(code)
}
