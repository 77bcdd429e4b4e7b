package clusterregistry_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/clusterregistry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) { os.Exit(testenv.RunWithControlPlane(m, testenv.Options{}, &cp)) }

func install(t *testing.T) dynamic.Interface {
	t.Helper()
	client, err := dynamic.NewForConfig(cp.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	objs, err := clusterregistry.Objects()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clusterregistry.Install(context.Background(), client, objs, false, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return client
}

const (
	roleA = "arn:aws:iam::111122223333:role/acme"
	roleB = "arn:aws:iam::444455556666:role/kubectl-tenant"
)

// The CRD's schema and the Go validation are one rule set written twice:
// every record of the table gets the same verdict from tenant.Validate
// (what the file registry and every command check) and from the real
// apiserver's validation of the CRD (a server dry run of a create).
func TestCRDAndGoValidationAgree(t *testing.T) {
	client := install(t)
	for _, tc := range []struct {
		name string
		doc  string // the record after "kind: Tenant", metadata and spec
		ok   bool
	}{
		{"minimal", `{metadata: {name: acme}, spec: {cluster: {context: admin}, namespaces: [acme]}}`, true},
		{"eks with a role chain", `{metadata: {name: acme}, spec: {cluster: {context: acme, server: "https://x.eks.amazonaws.com", eks: {name: acme_prod-1, arn: "arn:aws:eks:eu-west-1:444455556666:cluster/acme_prod-1", createdByPlugin: true, clusterRoleARN: "` + roleB + `-cluster", clusterRoleCreated: true, nodeRoleARN: "arn:aws:iam::444455556666:role/service/acme-node", oidcProviderCreated: true}}, aws: {region: eu-west-1, roleARNs: ["` + roleA + `", "` + roleB + `"], externalID: "acme:x1/2=3", sessionName: ops@acme, durationSeconds: 3600, profile: platform}, namespaces: [acme, acme-ci]}}`, true},
		{"every kind of grant", `{metadata: {name: acme}, spec: {cluster: {context: admin}, namespaces: [acme, acme-ci], grants: [
			{subject: {kind: ServiceAccount, name: deploy.bot, namespace: acme-ci}, role: edit},
			{subject: {kind: User, name: "alice@example.com"}, role: "kubectl-tenant:acme:reader", namespaces: [acme-ci]},
			{subject: {kind: Group, name: "system:sre"}, role: "system:aggregate-to-view", clusterScope: true},
			{subject: {kind: IAMRole, name: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_01"}, role: view, via: access-entry, accessPolicy: view, namespaces: [acme]},
			{subject: {kind: IAMUser, name: "arn:aws-cn:iam::111122223333:user/ops/ci"}, role: admin, via: aws-auth}]}}`, true},
		{"no session duration", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: us-east-1, durationSeconds: 0}, namespaces: [acme]}}`, true},

		{"upper-case name", `{metadata: {name: Acme}, spec: {cluster: {}, namespaces: [acme]}}`, false},
		{"name with _", `{metadata: {name: a_b}, spec: {cluster: {}, namespaces: [acme]}}`, false},
		{"64-character name", `{metadata: {name: ` + strings.Repeat("a", 64) + `}, spec: {cluster: {}, namespaces: [acme]}}`, false},
		{"no namespaces", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: []}}`, false},
		{"namespaces missing", `{metadata: {name: acme}, spec: {cluster: {}}}`, false},
		{"duplicate namespace", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme]}}`, false},
		{"namespace not a label", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme.ci]}}`, false},
		{"64-character namespace", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [` + strings.Repeat("n", 64) + `]}}`, false},
		{"grant outside the tenant", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: view, namespaces: [kube-system]}]}}`, false},
		{"no role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: ""}]}}`, false},
		{"role with /", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: "a/b"}]}}`, false},
		{"role ..", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: ".."}]}}`, false},
		{"role with %", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: "a%b"}]}}`, false},
		{"unknown subject kind", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: Robot, name: bob}, role: view}]}}`, false},
		{"ServiceAccount without namespace", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: ServiceAccount, name: ci}, role: view}]}}`, false},
		{"ServiceAccount name not a subdomain", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: ServiceAccount, name: CI, namespace: acme}, role: view}]}}`, false},
		{"user with a namespace", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob, namespace: acme}, role: view}]}}`, false},
		{"user without a name", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: ""}, role: view}]}}`, false},
		{"IAM role not an ARN", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: acme-dev}, role: view, via: aws-auth}]}}`, false},
		{"IAM role of an 11-digit account", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "arn:aws:iam::11112222333:role/dev"}, role: view, via: aws-auth}]}}`, false},
		{"IAM user ARN as a role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "arn:aws:iam::111122223333:user/dev"}, role: view, via: aws-auth}]}}`, false},
		{"IAM role name of 65 characters", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "arn:aws:iam::111122223333:role/` + strings.Repeat("r", 65) + `"}, role: view, via: aws-auth}]}}`, false},
		{"IAM grant without a channel", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "` + roleA + `"}, role: view}]}}`, false},
		{"unknown channel", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "` + roleA + `"}, role: view, via: magic}]}}`, false},
		{"user with a channel", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: view, via: aws-auth}]}}`, false},
		{"unknown access policy", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "` + roleA + `"}, role: view, via: access-entry, accessPolicy: superuser}]}}`, false},
		{"access policy through aws-auth", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "` + roleA + `"}, role: view, via: aws-auth, accessPolicy: view}]}}`, false},
		{"cluster-scoped IAM grant", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: IAMRole, name: "` + roleA + `"}, role: view, via: aws-auth, clusterScope: true}]}}`, false},
		{"cluster scope with namespaces", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: Group, name: sre}, role: view, clusterScope: true, namespaces: [acme]}]}}`, false},
		{"region not a region", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: Europe}, namespaces: [acme]}}`, false},
		{"aws without a region", `{metadata: {name: acme}, spec: {cluster: {}, aws: {roleARNs: ["` + roleA + `"]}, namespaces: [acme]}}`, false},
		{"chain role not a role ARN", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, roleARNs: ["arn:aws:iam::111122223333:policy/x"]}, namespaces: [acme]}}`, false},
		{"one-character external ID", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, roleARNs: ["` + roleA + `"], externalID: x}, namespaces: [acme]}}`, false},
		{"external ID with a space", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, roleARNs: ["` + roleA + `"], externalID: "a b"}, namespaces: [acme]}}`, false},
		{"external ID without a role", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, externalID: acme-x1}, namespaces: [acme]}}`, false},
		{"one-character session name", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, sessionName: a}, namespaces: [acme]}}`, false},
		{"a one-minute session", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, durationSeconds: 60}, namespaces: [acme]}}`, false},
		{"a 13-hour session", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, durationSeconds: 46800}, namespaces: [acme]}}`, false},
		{"EKS name starting with -", `{metadata: {name: acme}, spec: {cluster: {eks: {name: -acme}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"EKS name of 101 characters", `{metadata: {name: acme}, spec: {cluster: {eks: {name: ` + strings.Repeat("e", 101) + `}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a tenant role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: deployer, rules: [{verbs: [get, list], apiGroups: ["", apps], resources: [pods, deployments], resourceNames: [web]}]}], grants: [{subject: {kind: User, name: bob}, role: deployer}]}}`, true},
		{"a cluster-scoped grant of a ClusterRole that shares no tenant role's name", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: deployer, rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]}], grants: [{subject: {kind: Group, name: sre}, role: view, clusterScope: true}]}}`, true},
		{"a cluster-scoped grant of a tenant role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: deployer, rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]}], grants: [{subject: {kind: Group, name: sre}, role: deployer, clusterScope: true}]}}`, false},
		{"two roles of one name", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: r, rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]}, {name: r, rules: [{verbs: [list], apiGroups: [""], resources: [pods]}]}]}}`, false},
		{"a role name not a label", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: Reader, rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]}]}}`, false},
		{"a role named namespaces", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: namespaces, rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]}]}}`, false},
		{"a role without rules", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: r, rules: []}]}}`, false},
		{"a rule without verbs", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: r, rules: [{verbs: [], apiGroups: [""], resources: [pods]}]}]}}`, false},
		{"a rule without API groups", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: r, rules: [{verbs: [get], resources: [pods]}]}]}}`, false},
		{"a rule with an empty resource", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: r, rules: [{verbs: [get], apiGroups: [""], resources: [""]}]}]}}`, false},
		{"a rule of non-resource URLs", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], roles: [{name: r, rules: [{verbs: [get], apiGroups: [""], resources: [pods], nonResourceURLs: ["/healthz"]}]}]}}`, false},
		{"workload roles of every kind", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app.web, via: pod-identity, roleName: kubectl-tenant-acme-acme-app, policyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::111122223333:policy/team/acme-db"], roleCreated: true}, {namespace: acme-ci, serviceAccount: deploy, via: irsa, roleARN: "arn:aws:iam::111122223333:role/ci/acme-deploy"}, {namespace: acme, serviceAccount: batch, policyARNs: ["arn:aws:iam::aws:policy/AmazonSQSFullAccess"]}]}}`, true},
		{"a workload role outside the tenant", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: kube-system, serviceAccount: app, policyARNs: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]}]}}`, false},
		{"two workload roles of one ServiceAccount", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, policyARNs: ["arn:aws:iam::aws:policy/A"]}, {namespace: acme, serviceAccount: app, policyARNs: ["arn:aws:iam::aws:policy/B"]}]}}`, false},
		{"a workload role without a ServiceAccount", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: "", policyARNs: ["arn:aws:iam::aws:policy/A"]}]}}`, false},
		{"a workload ServiceAccount not a subdomain", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: App, policyARNs: ["arn:aws:iam::aws:policy/A"]}]}}`, false},
		{"an unknown workload mechanism", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, via: kiam, policyARNs: ["arn:aws:iam::aws:policy/A"]}]}}`, false},
		{"a workload role name of 65 characters", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, roleName: ` + strings.Repeat("r", 65) + `, policyARNs: ["arn:aws:iam::aws:policy/A"]}]}}`, false},
		{"a workload role name with /", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, roleName: "a/b", policyARNs: ["arn:aws:iam::aws:policy/A"]}]}}`, false},
		{"a workload role without policies or role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app}]}}`, false},
		{"a policy ARN that is a role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, policyARNs: ["arn:aws:iam::111122223333:role/x"]}]}}`, false},
		{"21 policies on a workload role", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, policyARNs: [` + strings.Repeat(`"arn:aws:iam::aws:policy/A", `, 20) + `"arn:aws:iam::aws:policy/B"]}]}}`, false},
		{"an existing workload role with policies", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, roleARN: "arn:aws:iam::111122223333:role/x", policyARNs: ["arn:aws:iam::aws:policy/A"]}]}}`, false},
		{"an existing workload role said made", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, roleARN: "arn:aws:iam::111122223333:role/x", roleCreated: true}]}}`, false},
		{"a workload role ARN that is a user", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme, acme-ci], workloadRoles: [{namespace: acme, serviceAccount: app, roleARN: "arn:aws:iam::111122223333:user/x"}]}}`, false},
		{"add-ons", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: aws-ebs-csi-driver, version: v1.44.0-eksbuild.1, via: irsa, roleName: acme-ebs, created: true, roleCreated: true}, {name: eks-pod-identity-agent}, {name: amazon-cloudwatch-observability, version: v4.1.0-eksbuild.1}]}}`, true},
		{"two add-ons of one name", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: aws-ebs-csi-driver}, {name: aws-ebs-csi-driver, version: v1.44.0-eksbuild.1}]}}`, false},
		{"an add-on name with upper case", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: AWS-EBS}]}}`, false},
		{"an add-on name ending in -", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: ebs-}]}}`, false},
		{"an add-on version without v", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: aws-ebs-csi-driver, version: 1.44.0}]}}`, false},
		{"an add-on version with a space", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: aws-ebs-csi-driver, version: "v1 2"}]}}`, false},
		{"an unknown add-on mechanism", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: aws-ebs-csi-driver, via: kiam}]}}`, false},
		{"an add-on role name with /", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [{name: aws-ebs-csi-driver, roleName: "a/b"}]}}`, false},
		{"33 add-ons", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [` + addons(33) + `]}}`, false},
		{"32 add-ons", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], addons: [` + addons(32) + `]}}`, true},
		{"the largest record", largest(0), true},
		{"a role too many", largest(4), false},
		{"a namespace too many", largest(1), false},
		{"a grant too many", largest(2), false},
		{"a grant of a namespace too many", largest(3), false},
		{"17 roles in the chain", `{metadata: {name: acme}, spec: {cluster: {}, aws: {region: eu-west-1, roleARNs: [` + strings.Repeat(`"`+roleA+`", `, 16) + `"` + roleB + `"]}, namespaces: [acme]}}`, false},
		{"a user name of 1025 characters", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: ` + strings.Repeat("u", 1025) + `}, role: view}]}}`, false},
		{"a role of 254 characters", `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [acme], grants: [{subject: {kind: User, name: bob}, role: ` + strings.Repeat("r", 254) + `}]}}`, false},
		{"what an EKS cluster is made with", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, kubernetesVersion: "1.31", endpointAccess: public-and-private, publicAccessCIDRs: [203.0.113.0/24, "2001:db8::/32"], authenticationMode: API, subnetIDs: [subnet-0a1b2c3d, subnet-0123456789abcdef0], securityGroupIDs: [sg-0a1b2c3d], tags: {team: payments, "cost-center": "42"}, nodegroup: {name: ng_1, instanceTypes: [m5.large, t3a.medium], nodes: 3, nodesMin: 1, nodesMax: 5}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, true},
		{"a CAPA tenant", `{metadata: {name: acme}, spec: {cluster: {context: acme, eks: {name: acme-prod, kubernetesVersion: "1.31", nodegroup: {name: ng}}, capa: {managementContext: management, namespace: acme-capi, name: acme, sourceIdentity: AWSClusterRoleIdentity/platform.hop, createdByPlugin: true}}, aws: {region: eu-west-1, roleARNs: ["` + roleA + `", "` + roleB + `"], externalID: acme-x1}, namespaces: [acme]}}`, true},
		{"a CAPA tenant adopted", `{metadata: {name: acme}, spec: {cluster: {context: acme, eks: {name: acme-prod, kubernetesVersion: "1.31", nodegroup: {name: ng}}, capa: {namespace: team-a, name: prod-1}}, aws: {region: eu-west-1, roleARNs: ["` + roleA + `", "` + roleB + `"], externalID: acme-x1}, namespaces: [acme]}}`, true},
		{"a CAPA tenant without its EKS cluster", `{metadata: {name: acme}, spec: {cluster: {capa: {namespace: acme, name: acme}}, aws: {region: eu-west-1, roleARNs: ["` + roleB + `"]}, namespaces: [acme]}}`, false},
		{"a CAPA tenant without a role", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}, capa: {namespace: acme, name: acme}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a CAPA tenant whose EKS cluster the plugin made", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, createdByPlugin: true}, capa: {namespace: acme, name: acme}}, aws: {region: eu-west-1, roleARNs: ["` + roleB + `"]}, namespaces: [acme]}}`, false},
		{"a CAPA namespace not a label", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}, capa: {namespace: Acme.CAPI, name: acme}}, aws: {region: eu-west-1, roleARNs: ["` + roleB + `"]}, namespaces: [acme]}}`, false},
		{"a CAPA source identity of another kind", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}, capa: {namespace: acme, name: acme, sourceIdentity: Secret/aws}}, aws: {region: eu-west-1, roleARNs: ["` + roleB + `"]}, namespaces: [acme]}}`, false},
		{"a CAPA cluster without a name", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}, capa: {namespace: acme}}, aws: {region: eu-west-1, roleARNs: ["` + roleB + `"]}, namespaces: [acme]}}`, false},
		{"a node group with only a name", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: ng}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, true},
		{"a node group of 5 nodes at most 10", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: ng, nodes: 5, nodesMax: 10}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, true},
		{"an EKS cluster at every limit", largestEKS(false), true},
		{"an EKS tag too many", largestEKS(true), false},
		{"a Kubernetes version with a patch", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, kubernetesVersion: "1.31.2"}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"an unknown endpoint access", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, endpointAccess: everywhere}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"public CIDRs of a private endpoint", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, endpointAccess: private, publicAccessCIDRs: [203.0.113.0/24]}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a CIDR without a prefix length", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, publicAccessCIDRs: [203.0.113.0]}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"an unknown authentication mode", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, authenticationMode: IAM}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a subnet ID of another shape", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, subnetIDs: [vpc-0a1b2c3d]}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a security group ID of another shape", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, securityGroupIDs: [SG-1]}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a tag under aws:", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, tags: {"aws:owner": me}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a tag key of 129 characters", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, tags: {` + strings.Repeat("k", 129) + `: v}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a tag value of 257 characters", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, tags: {k: ` + strings.Repeat("v", 257) + `}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a node group name starting with _", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: _ng}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"an instance type without a size", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: ng, instanceTypes: [m5]}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a negative node count", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: ng, nodes: -1}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a minimum above the nodes wanted", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: ng, nodesMin: 3}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"a maximum below the nodes wanted", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, nodegroup: {name: ng, nodes: 4, nodesMax: 3}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
		{"EKS without spec.aws", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}}, namespaces: [acme]}}`, false},
		{"EKS with spec.aws but no region", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}}, aws: {roleARNs: ["` + roleA + `"]}, namespaces: [acme]}}`, false},
		{"EKS with only a region", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, true},
		{"EKS cluster role not a role ARN", `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, clusterRoleARN: acme-cluster}}, aws: {region: eu-west-1}, namespaces: [acme]}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := "{apiVersion: " + tenant.APIVersion + ", kind: Tenant, " + strings.TrimPrefix(tc.doc, "{")
			goErr := goVerdict(t, doc)
			apiErr := apiVerdict(t, client, doc)
			if (goErr == nil) != tc.ok || (apiErr == nil) != tc.ok {
				t.Errorf("want valid=%v\n  Go:        %v\n  apiserver: %v", tc.ok, goErr, apiErr)
			}
		})
	}
}

// largest is a record at every limit (tenant.MaxNamespaces namespaces of
// 63 characters, tenant.MaxGrants grants of tenant.MaxGrantNamespaces
// namespaces each, subject names of tenant.MaxSubjectNameLength,
// tenant.MaxRoles roles named with 63 characters), or one past the limit
// named by over: 1 namespaces, 2 grants, 3 a grant's namespaces, 4 roles.
// Every grant names namespaces: the rule that checks them costs far more
// per grant than the one that keeps tenant roles out of cluster-scoped
// grants, so this is the costliest record.
// The apiserver must check the largest in its runtime cost budget.
func largest(over int) string {
	extra := func(n, which int) int {
		if over == which {
			return n + 1
		}
		return n
	}
	var namespaces, grants []string
	for i := range extra(tenant.MaxNamespaces, 1) {
		namespaces = append(namespaces, fmt.Sprintf("ns-%03d-%s", i, strings.Repeat("x", 56)))
	}
	for i := range extra(tenant.MaxGrants, 2) {
		names := namespaces[:extra(tenant.MaxGrantNamespaces, 3)]
		if i%2 == 0 {
			names = namespaces[len(namespaces)-len(names):]
		}
		grants = append(grants, fmt.Sprintf(`{subject: {kind: User, name: "%04d%s"}, role: view, namespaces: [%s]}`,
			i, strings.Repeat("u", tenant.MaxSubjectNameLength-4), strings.Join(names, ", ")))
	}
	var roles []string
	for i := range extra(tenant.MaxRoles, 4) {
		roles = append(roles, fmt.Sprintf(`{name: role-%02d-%s, rules: [{verbs: [get], apiGroups: [""], resources: [pods]}]}`, i, strings.Repeat("r", 55)))
	}
	return `{metadata: {name: acme}, spec: {cluster: {}, namespaces: [` + strings.Join(namespaces, ", ") + `], grants: [` + strings.Join(grants, ", ") +
		`], roles: [` + strings.Join(roles, ", ") + `]}}`
}

// largestEKS is an EKS cluster with every list and the tags at their
// limits (keys of 128 characters), or one tag past it.
func largestEKS(overTags bool) string {
	n := func(count int, item func(i int) string) string {
		var items []string
		for i := range count {
			items = append(items, item(i))
		}
		return strings.Join(items, ", ")
	}
	tags := tenant.MaxEKSTags
	if overTags {
		tags++
	}
	return `{metadata: {name: acme}, spec: {cluster: {eks: {name: acme, endpointAccess: public` +
		`, publicAccessCIDRs: [` + n(tenant.MaxEKSListItems, func(i int) string { return fmt.Sprintf("10.%d.0.0/16", i) }) +
		`], subnetIDs: [` + n(tenant.MaxEKSListItems, func(i int) string { return fmt.Sprintf("subnet-%017x", i) }) +
		`], securityGroupIDs: [` + n(tenant.MaxEKSListItems, func(i int) string { return fmt.Sprintf("sg-%017x", i) }) +
		`], tags: {` + n(tags, func(i int) string {
		return fmt.Sprintf("%03d%s: %s", i, strings.Repeat("k", 125), strings.Repeat("v", 256))
	}) +
		`}, nodegroup: {name: ng, instanceTypes: [` + n(tenant.MaxEKSListItems, func(i int) string { return fmt.Sprintf("m%d.large", i) }) +
		`]}}}, aws: {region: eu-west-1}, namespaces: [acme]}}`
}

// goVerdict is what the file registry says of doc: strict decoding, then
// tenant.Validate.
func goVerdict(t *testing.T, doc string) error {
	t.Helper()
	var rec tenant.Tenant
	if err := yaml.UnmarshalStrict([]byte(doc), &rec); err != nil {
		t.Fatalf("the table's record does not decode: %v", err)
	}
	return tenant.Validate(&rec).ToAggregate()
}

// apiVerdict is what the apiserver says of creating doc.
func apiVerdict(t *testing.T, client dynamic.Interface, doc string) error {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatal(err)
	}
	_, err := client.Resource(clusterregistry.TenantResource).Create(context.Background(), obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// addons are n add-ons, as a YAML list's items.
func addons(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("{name: addon-%d}", i)
	}
	return strings.Join(items, ", ")
}
