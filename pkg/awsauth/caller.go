package awsauth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// CallerARN is the IAM principal the cluster authenticated the caller as,
// asked with a SelfSubjectReview (the API of kubectl auth whoami):
// aws-iam-authenticator puts it in the user's extra as canonicalArn. It is
// "" for a caller who came in some other way (a client certificate, a
// ServiceAccount token).
func CallerARN(ctx context.Context, client kubernetes.Interface) (string, error) {
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("asking the cluster who you are (SelfSubjectReview), to keep your own access: %w", err)
	}
	if arns := r.Status.UserInfo.Extra["canonicalArn"]; len(arns) > 0 {
		return arns[0], nil
	}
	return "", nil
}

// CallerLost says how next takes away access current gives the caller
// (callerARN, from CallerARN): the aws-auth entry that maps it, or
// system:masters in it. It is "" when next keeps the caller's access, or
// the caller is not mapped in current.
func CallerLost(current, next map[string]string, callerARN string) string {
	if callerARN == "" {
		return ""
	}
	find := func(data map[string]string) (Entry, bool) {
		list, err := Entries(data)
		if err != nil {
			return Entry{}, false
		}
		i := slices.IndexFunc(list, func(e Entry) bool { return sameARN(e.ARN(), callerARN) })
		if i < 0 {
			return Entry{}, false
		}
		return list[i], true
	}
	had, ok := find(current)
	if !ok {
		return ""
	}
	kept, ok := find(next)
	switch {
	case !ok:
		return fmt.Sprintf("your own aws-auth mapping (%s, groups %v), through which you reach this cluster", callerARN, had.Groups())
	case had.has(groupMasters) && !kept.has(groupMasters):
		return fmt.Sprintf("system:masters from your own aws-auth mapping (%s)", callerARN)
	}
	return ""
}

// sameARN compares ARNs as the authenticator matches them: a role's path
// does not count, case does not count.
func sameARN(a, b string) bool {
	ca, _ := iamarn.CanonicalRole(a)
	cb, _ := iamarn.CanonicalRole(b)
	return strings.EqualFold(ca, cb)
}
