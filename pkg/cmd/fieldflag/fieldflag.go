// Package fieldflag names, in a domain error about a tenant record's
// field, the flag the user gave for it instead: so that a command blames
// --region when the user passed one, and spec.aws.region when the value
// came from the record. It imports no CLI library, so that the lean
// signer binary can use it.
package fieldflag

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Map maps fields of a tenant record to the flags that set them.
type Map map[string]string

// Rename rewrites the fields that err's field errors name into the flags
// the user gave for them: "spec.aws.region: Invalid value" becomes
// "--region: Invalid value" when given("region"), and stays as it is when
// the value came from the record. Other errors come back unchanged. A
// cobra command passes cmd.Flags().Changed as given.
func (m Map) Rename(err error, given func(flag string) bool) error {
	var agg utilerrors.Aggregate
	if err == nil || !errors.As(err, &agg) {
		return err
	}
	var out field.ErrorList
	for _, e := range agg.Errors() {
		var fe *field.Error
		if !errors.As(e, &fe) {
			return err
		}
		c := *fe
		c.Field = m.flagFor(given, fe.Field)
		out = append(out, &c)
	}
	return out.ToAggregate()
}

func (m Map) flagFor(given func(string) bool, path string) string {
	for fieldPath, flag := range m {
		rest, ok := strings.CutPrefix(path, fieldPath)
		if !ok || !given(strings.TrimPrefix(flag, "--")) {
			continue
		}
		if rest == "" {
			return flag
		}
		if n, ok := index(rest); ok { // the n-th of a repeated flag
			return fmt.Sprintf("%s #%d", flag, n+1)
		}
	}
	return path
}

// index reads a path's list index, "[n]".
func index(s string) (int, bool) {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' || strings.Trim(s[1:len(s)-1], "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s[1 : len(s)-1])
	return n, err == nil
}

// AWSIdentity maps an AWS identity's fields (package aws's FieldX) to the
// flags of create, token and the signer that set them.
var AWSIdentity = Map{
	"spec.aws.region":          "--region",
	"spec.aws.roleARNs":        "--role-arn",
	"spec.aws.externalID":      "--external-id",
	"spec.aws.sessionName":     "--session-name",
	"spec.aws.durationSeconds": "--duration",
}

// EKSCluster maps what an EKS cluster is made with to the flags of
// create that set them.
var EKSCluster = Map{
	"spec.cluster.eks.name":                    "--cluster",
	"spec.cluster.eks.kubernetesVersion":       "--kubernetes-version",
	"spec.cluster.eks.endpointAccess":          "--endpoint-access",
	"spec.cluster.eks.publicAccessCIDRs":       "--public-access-cidrs",
	"spec.cluster.eks.authenticationMode":      "--authentication-mode",
	"spec.cluster.eks.subnetIDs":               "--subnet-ids",
	"spec.cluster.eks.securityGroupIDs":        "--security-group-ids",
	"spec.cluster.eks.tags":                    "--tags",
	"spec.cluster.eks.clusterRoleARN":          "--cluster-role-arn",
	"spec.cluster.eks.nodeRoleARN":             "--node-role-arn",
	"spec.cluster.eks.nodegroup.name":          "--nodegroup",
	"spec.cluster.eks.nodegroup.instanceTypes": "--instance-types",
	"spec.cluster.eks.nodegroup.nodes":         "--nodes",
	"spec.cluster.eks.nodegroup.nodesMin":      "--nodes-min",
	"spec.cluster.eks.nodegroup.nodesMax":      "--nodes-max",
}
