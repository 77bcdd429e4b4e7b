package cluster

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Bounds of ServiceAccount token lifetimes. The API server refuses less
// than 10 minutes; more than 12 hours is not short-lived.
const (
	MinTokenDuration     = 10 * time.Minute
	MaxTokenDuration     = 12 * time.Hour
	DefaultTokenDuration = time.Hour
)

// ValidateTokenDuration checks a requested lifetime against the bounds.
func ValidateTokenDuration(d time.Duration) error {
	switch {
	case d < MinTokenDuration:
		return fmt.Errorf("%s is below the minimum %s", d, MinTokenDuration)
	case d > MaxTokenDuration:
		return fmt.Errorf("%s is above the maximum %s: tokens stay short-lived", d, MaxTokenDuration)
	}
	return nil
}

// ServiceAccountToken asks the API server for a bound token (TokenRequest):
// nothing is stored in the cluster, and it expires by itself.
func ServiceAccountToken(ctx context.Context, client kubernetes.Interface, namespace, name string, d time.Duration, audiences []string) (string, time.Time, error) {
	seconds := int64(d / time.Second)
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         audiences,
		ExpirationSeconds: &seconds,
	}}
	tr, err := client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, req, metav1.CreateOptions{})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, tr.Status.ExpirationTimestamp.Time, nil
}
