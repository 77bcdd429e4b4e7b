// Package token makes the credentials kubectl's exec plugin mechanism
// reads. It is the plugin's hot path (kubectl runs it before requests), so
// it imports as little as it can.
package token

import (
	"encoding/json"
	"fmt"
	"time"
)

// ExecInfoEnv is the variable kubectl sets for an exec plugin, holding the
// ExecCredential it expects (its apiVersion above all).
const ExecInfoEnv = "KUBERNETES_EXEC_INFO"

// The ExecCredential versions kubectl speaks.
const (
	APIVersionV1      = "client.authentication.k8s.io/v1"
	APIVersionV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// RequestedAPIVersion is the apiVersion kubectl asked for in
// KUBERNETES_EXEC_INFO (passed as info), v1 when it asked for none.
func RequestedAPIVersion(info string) (string, error) {
	if info == "" {
		return APIVersionV1, nil
	}
	var req struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(info), &req); err != nil {
		return "", fmt.Errorf("%s is not valid JSON: %w", ExecInfoEnv, err)
	}
	switch req.APIVersion {
	case "":
		return APIVersionV1, nil
	case APIVersionV1, APIVersionV1beta1:
		return req.APIVersion, nil
	}
	return "", fmt.Errorf("%s asks for %q; supported: %s, %s", ExecInfoEnv, req.APIVersion, APIVersionV1, APIVersionV1beta1)
}

// execCredential is client.authentication.k8s.io's ExecCredential, whose
// v1 and v1beta1 forms are the same for a token. It is declared here, not
// imported, to keep client-go's packages off the hot path.
type execCredential struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Status     struct {
		ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
		Token               string `json:"token"`
	} `json:"status"`
}

// ExecCredential renders a token and its expiry as kubectl expects them.
func ExecCredential(apiVersion, token string, expiry time.Time) ([]byte, error) {
	c := execCredential{APIVersion: apiVersion, Kind: "ExecCredential"}
	c.Status.Token = token
	if !expiry.IsZero() {
		c.Status.ExpirationTimestamp = expiry.UTC().Format(time.RFC3339)
	}
	out, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
