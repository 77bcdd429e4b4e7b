// Package workload makes and checks the trust of a tenant's workload
// roles: IAM roles that exactly one ServiceAccount of exactly one
// tenant's cluster may assume, through EKS Pod Identity or IRSA (an
// OIDC web identity). It builds each trust policy, evaluates a trust
// policy against the call STS would get, and finds what a policy admits
// beyond its ServiceAccount.
package workload

import (
	"fmt"
	"strings"
)

// Mechanism is how a ServiceAccount's pods reach a role.
type Mechanism string

// The mechanisms.
const (
	// PodIdentity: EKS Auth assumes the role for the pod (service
	// pods.eks.amazonaws.com), tagging the session with the cluster,
	// namespace and ServiceAccount.
	PodIdentity Mechanism = "pod-identity"
	// IRSA: the pod's projected ServiceAccount token is a web identity
	// that STS checks against the cluster's OIDC provider.
	IRSA Mechanism = "irsa"
)

// The constants of each mechanism.
const (
	PodsService = "pods.eks.amazonaws.com"
	// Audience is the audience of an IRSA token, the OIDC provider's
	// client ID.
	Audience = "sts.amazonaws.com"

	actionAssumeRole      = "sts:AssumeRole"
	actionTagSession      = "sts:TagSession"
	actionWebIdentity     = "sts:AssumeRoleWithWebIdentity"
	keySourceAccount      = "aws:SourceAccount"
	keySourceArn          = "aws:SourceArn"
	keyNamespaceTag       = "aws:RequestTag/kubernetes-namespace"
	keyServiceAccountTag  = "aws:RequestTag/kubernetes-service-account"
	keyClusterTag         = "aws:RequestTag/eks-cluster-arn"
	policyVersion         = "2012-10-17"
	serviceAccountSubject = "system:serviceaccount:"
)

// Binding is what a workload role admits: one ServiceAccount of one
// cluster, in the cluster's account.
type Binding struct {
	Via            Mechanism
	Account        string
	ClusterARN     string // Pod Identity: the cluster EKS Auth acts for
	Issuer         string // IRSA: the cluster's OIDC issuer URL
	Namespace      string
	ServiceAccount string
}

// Subject is the ServiceAccount as a token's sub names it.
func (b Binding) Subject() string {
	return serviceAccountSubject + b.Namespace + ":" + b.ServiceAccount
}

// IssuerHost is the issuer without its scheme: the OIDC provider's name
// in IAM and the prefix of its condition keys.
func (b Binding) IssuerHost() string { return strings.TrimPrefix(b.Issuer, "https://") }

// ProviderARN is the IAM OIDC provider of the cluster's issuer.
func (b Binding) ProviderARN() string {
	return fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", b.Account, b.IssuerHost())
}

// Trust is the role's trust policy: for Pod Identity, the service, both
// actions EKS Auth calls, and StringEquals on the account, the cluster
// and the session tags of the namespace and ServiceAccount; for IRSA,
// the cluster's OIDC provider and StringEquals on the token's sub and
// aud.
func (b Binding) Trust() Policy {
	if b.Via == IRSA {
		return Policy{Version: policyVersion, Statement: []Statement{{
			Sid: "ServiceAccount", Effect: "Allow",
			Principal: Principal{Federated: Strings{b.ProviderARN()}},
			Action:    Strings{actionWebIdentity},
			Condition: map[string]map[string]Strings{"StringEquals": b.required()},
		}}}
	}
	return Policy{Version: policyVersion, Statement: []Statement{{
		Sid: "ServiceAccount", Effect: "Allow",
		Principal: Principal{Service: Strings{PodsService}},
		Action:    Strings{actionAssumeRole, actionTagSession},
		Condition: map[string]map[string]Strings{"StringEquals": b.required()},
	}}}
}

// required are the condition keys the trust pins, with their one value.
func (b Binding) required() map[string]Strings {
	if b.Via == IRSA {
		return map[string]Strings{b.IssuerHost() + ":sub": {b.Subject()}, b.IssuerHost() + ":aud": {Audience}}
	}
	return map[string]Strings{keySourceAccount: {b.Account}, keySourceArn: {b.ClusterARN}, keyClusterTag: {b.ClusterARN},
		keyNamespaceTag: {b.Namespace}, keyServiceAccountTag: {b.ServiceAccount}}
}

// Requests are the STS calls the binding's pods need admitted, as IAM
// evaluates them: for IRSA the web identity call; for Pod Identity both
// calls EKS Auth makes (AssumeRole and TagSession), with the session
// tags EKS sets.
func (b Binding) Requests() []Request {
	if b.Via == IRSA {
		return []Request{{Action: actionWebIdentity, Federated: b.ProviderARN(),
			Keys: map[string]string{b.IssuerHost() + ":sub": b.Subject(), b.IssuerHost() + ":aud": Audience}}}
	}
	keys := map[string]string{keySourceAccount: b.Account, keySourceArn: b.ClusterARN, keyClusterTag: b.ClusterARN,
		"aws:RequestTag/eks-cluster-name": b.ClusterARN[strings.LastIndex(b.ClusterARN, "/")+1:],
		keyNamespaceTag:                   b.Namespace, keyServiceAccountTag: b.ServiceAccount}
	return []Request{{Action: actionAssumeRole, Service: PodsService, Keys: keys}, {Action: actionTagSession, Service: PodsService, Keys: keys}}
}

// AllowedBy reports whether p admits every call of Requests.
func (b Binding) AllowedBy(p Policy) bool {
	for _, r := range b.Requests() {
		if !p.Allows(r) {
			return false
		}
	}
	return true
}

// ID names the binding in a tag of its role: the mechanism, the cluster
// (its ARN, or for IRSA its issuer), the namespace and ServiceAccount.
func (b Binding) ID() string {
	where := b.ClusterARN
	if b.Via == IRSA {
		where = b.IssuerHost()
	}
	return string(b.Via) + " " + where + " " + b.Namespace + ":" + b.ServiceAccount
}
