package admin

import (
	"errors"
	"fmt"
	"net"

	"github.com/aws/smithy-go"
)

// APIError is an error the server answered with, reduced to what an
// operator needs: the AWS error code and the server's message. It wraps
// the SDK's error, so errors.As still finds the typed exceptions.
type APIError struct {
	Code    string
	Message string
	err     error
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }
func (e *APIError) Unwrap() error { return e.err }

// Explain turns an SDK error into a short one: the server's error code and
// message, or for a server that cannot be reached, the endpoint and how to
// name another. Other errors are returned unchanged.
func (c *Client) Explain(err error) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return &APIError{Code: api.ErrorCode(), Message: api.ErrorMessage(), err: err}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach roam at %s (%v); is roam server running there? Choose another with --endpoint or ROAM_ENDPOINT", c.Endpoint, op.Err)
	}
	return err
}
