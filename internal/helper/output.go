package helper

import "encoding/json"

// ProcessCredentials renders credentials as the credential_process output
// the AWS CLI and SDKs read: compact JSON, fixed key order, no trailing
// newline. Expiration is the server's string, untouched.
func ProcessCredentials(c *Credentials) []byte {
	out, _ := json.Marshal(struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}{1, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration})
	return out
}
