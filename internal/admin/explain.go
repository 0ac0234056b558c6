package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/sigv4"
)

// ExplainRequest asks the server what CreateSession would decide for a
// certificate, without the private key.
type ExplainRequest struct {
	Certificate     string     `json:"certificate"`     // PEM
	Chain           string     `json:"chain,omitempty"` // PEM bundle
	TrustAnchorArn  string     `json:"trustAnchorArn"`
	ProfileArn      string     `json:"profileArn"`
	RoleArn         string     `json:"roleArn"`
	DurationSeconds *int64     `json:"durationSeconds,omitempty"`
	RoleSessionName *string    `json:"roleSessionName,omitempty"`
	At              *time.Time `json:"at,omitempty"`
	SourceIP        string     `json:"sourceIp,omitempty"`
}

// Explanation is the server's answer, rule by rule.
type Explanation struct {
	Decision    string `json:"decision"`
	Reason      string `json:"reason,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	Message     string `json:"message,omitempty"`
	Checks      []struct {
		Rule   string `json:"rule"`
		Result string `json:"result"`
		Reason string `json:"reason,omitempty"`
		Detail string `json:"detail"`
	} `json:"checks"`
	Session *struct {
		RoleArn        string            `json:"roleArn"`
		SessionName    string            `json:"sessionName"`
		SourceIdentity string            `json:"sourceIdentity"`
		Expiration     time.Time         `json:"expiration"`
		Tags           map[string]string `json:"tags"`
	} `json:"session,omitempty"`
}

// explainPath is roam's ExplainCreateSession operation.
const explainPath = "/roam/explain"

// ExplainCreateSession calls the server's ExplainCreateSession operation.
func (c *Client) ExplainCreateSession(ctx context.Context, in ExplainRequest) (*Explanation, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.Endpoint, "/")+explainPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := c.credentials.Retrieve(ctx)
	if err != nil {
		return nil, errNoCredentials(err)
	}
	if _, err := sigv4.Sign(req, sigv4.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken},
		"rolesanywhere", c.Region, sigv4.HashHex(body), time.Now()); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the roam server at %s: %w", c.Endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		return nil, &APIError{Code: resp.Header.Get("X-Amzn-ErrorType"), Message: e.Message}
	}
	var out Explanation
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("the server's explanation is not JSON: %w", err)
	}
	return &out, nil
}
