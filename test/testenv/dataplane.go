package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper"
)

// dataPlane is one local EKS cluster's Kubernetes: etcd, kube-apiserver
// (with an audit log) and kube-controller-manager, and
// aws-iam-authenticator's own server as the apiserver's token webhook.
// The authenticator maps, in EKS's order:
//
//   - the cluster's creator to system:masters, as EKS does: its static
//     role mapping (mapper MountedFile);
//   - access entries, in API and API_AND_CONFIG_MAP modes: its
//     DynamicFile backend, which the front rewrites on every change;
//   - aws-auth, in CONFIG_MAP and API_AND_CONFIG_MAP modes: its
//     EKSConfigMap mapper.
type dataPlane struct {
	dir, cluster, region string
	authMode, creator    string
	issuer               string // of its ServiceAccount tokens
	logPath              string

	ready chan struct{} // closed when started or failed
	err   error
	cp    *ControlPlane
	authn *Authenticator
	admin *kubernetes.Clientset

	mu      sync.Mutex
	version int // of the access-entry file
	nodes   int // nodes registered so far, for their names
}

func newDataPlane(dir string, c *frontCluster, logPath string) *dataPlane {
	return &dataPlane{dir: dir, cluster: c.Name, region: c.Region, authMode: c.AuthMode, creator: c.Creator, issuer: c.Issuer, logPath: logPath, ready: make(chan struct{})}
}

// accessEntriesFile is where the front exports access entries for the
// authenticator's DynamicFile mapper.
func (p *dataPlane) accessEntriesFile() string { return filepath.Join(p.dir, "access-entries.json") }

// start brings the cluster up; ready closes when it is up or has failed.
func (p *dataPlane) start() {
	defer close(p.ready)
	p.err = p.startErr()
	if p.err != nil {
		fmt.Fprintf(os.Stderr, "local EKS: cluster %s did not start: %v\n", p.cluster, p.err)
	}
}

func (p *dataPlane) startErr() error {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}
	cfg := config.Config{ClusterID: p.cluster, DynamicFilePath: p.accessEntriesFile()}
	cfg.BackendMode = []string{mapper.ModeMountedFile}
	if p.authMode != "CONFIG_MAP" {
		cfg.BackendMode = append(cfg.BackendMode, mapper.ModeDynamicFile)
	}
	if p.authMode != "API" {
		cfg.BackendMode = append(cfg.BackendMode, mapper.ModeEKSConfigMap)
	}
	if roleARN, username, ok := sessionRole(p.creator); ok {
		cfg.RoleMappings = []config.RoleMapping{{RoleARN: roleARN, Username: username, Groups: []string{"system:masters"}}}
	} else if p.creator != "" {
		cfg.UserMappings = []config.UserMapping{{UserARN: p.creator, Username: p.creator, Groups: []string{"system:masters"}}}
	}
	if err := p.writeAccessEntries(nil); err != nil {
		return err
	}
	authn, err := prepareAuthenticator(filepath.Join(p.dir, "aws-iam-authenticator"), cfg, p.logPath)
	if err != nil {
		return err
	}
	p.authn = authn
	cp, err := StartControlPlane(context.Background(), filepath.Join(p.dir, "control-plane"), Options{APIServerArgs: authn.APIServerArgs, Audit: true, ServiceAccountIssuer: p.issuer})
	if err != nil {
		return err
	}
	p.cp = cp
	if p.admin, err = cp.AdminClient(); err != nil {
		return err
	}
	return authn.Start(context.Background(), cp.AdminKubeconfig)
}

// stop ends the cluster, once it has started.
func (p *dataPlane) stop() {
	<-p.ready
	if p.authn != nil {
		p.authn.Stop()
	}
	if p.cp != nil {
		p.cp.Stop()
	}
}

func (p *dataPlane) caData() string { return base64.StdEncoding.EncodeToString(p.cp.CAData) }

// sessionRole turns an assumed-role session ARN into its role's ARN and
// the username EKS gives that role's sessions.
func sessionRole(arn string) (roleARN, username string, ok bool) {
	fields := strings.SplitN(arn, ":", 6)
	if len(fields) != 6 || fields[2] != "sts" || !strings.HasPrefix(fields[5], "assumed-role/") {
		return "", "", false
	}
	parts := strings.Split(fields[5], "/")
	if len(parts) < 3 {
		return "", "", false
	}
	role := parts[len(parts)-2]
	return "arn:" + fields[1] + ":iam::" + fields[4] + ":role/" + role,
		"arn:" + fields[1] + ":sts::" + fields[4] + ":assumed-role/" + role + "/{{SessionName}}", true
}

// policyGroup is the group the front adds to an access entry's mapping
// so that RBAC bindings can stand in for its access policies: EKS
// authorizes a policy by principal, which RBAC cannot name.
func policyGroup(principal string) string { return "localeks:access-policies:" + shortHash(principal) }

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:5])
}

// export makes the cluster's authentication and authorization follow its
// access entries: the authenticator's DynamicFile, then the bindings
// that stand in for access policies.
func (p *dataPlane) export(ctx context.Context, entries []frontEntry) error {
	<-p.ready
	if p.err != nil {
		return p.err
	}
	if err := p.writeAccessEntries(entries); err != nil {
		return err
	}
	return p.bindPolicies(ctx, entries)
}

// writeAccessEntries writes the DynamicFile the authenticator watches
// and, once it is serving, waits (up to 5 s) until the authenticator
// logs that it loaded this version, so that a grant is in effect when
// the call that made it returns, as tests expect of EKS after its
// propagation delay.
func (p *dataPlane) writeAccessEntries(entries []frontEntry) error {
	file := struct {
		LastUpdated string               `json:"LastUpdatedDateTime"`
		Version     string               `json:"Version"`
		Roles       []config.RoleMapping `json:"mapRoles"`
		Users       []config.UserMapping `json:"mapUsers"`
	}{LastUpdated: strconv.FormatInt(time.Now().Unix(), 10), Roles: []config.RoleMapping{}, Users: []config.UserMapping{}}
	p.mu.Lock()
	p.version++
	file.Version = fmt.Sprintf("%s.%s.v%d", p.cluster, p.region, p.version)
	p.mu.Unlock()
	for _, e := range entries {
		username, groups := e.Username, slices.Clone(e.Groups)
		if e.Type == "EC2_LINUX" {
			username, groups = "system:node:{{EC2PrivateDNSName}}", []string{"system:bootstrappers", "system:nodes"}
		}
		if len(e.Policies) > 0 {
			groups = append(groups, policyGroup(e.Principal))
		}
		if strings.Contains(e.Principal, ":user/") {
			file.Users = append(file.Users, config.UserMapping{UserARN: e.Principal, Username: username, Groups: groups})
		} else {
			file.Roles = append(file.Roles, config.RoleMapping{RoleARN: e.Principal, Username: username, Groups: groups})
		}
	}
	data, err := json.Marshal(file)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.accessEntriesFile(), data, 0o600); err != nil {
		return err
	}
	if p.authn == nil || p.authn.srv == nil {
		return nil // not serving yet: it reads the file when it starts
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if log, _ := os.ReadFile(p.logPath); strings.Contains(string(log), "Version="+file.Version) {
			return nil
		}
	}
	return nil // the authenticator logs a version only after its first load; go on
}

// accessPolicyRoles are the Kubernetes roles that stand in for EKS's
// access policies.
var accessPolicyRoles = map[string]string{
	"AmazonEKSViewPolicy":         "view",
	"AmazonEKSEditPolicy":         "edit",
	"AmazonEKSAdminPolicy":        "admin",
	"AmazonEKSClusterAdminPolicy": "cluster-admin",
}

const policyLabel = "localeks.kubectl-tenant.io/access-entry"

// bindPolicies replaces the bindings that stand in for access policies:
// for each policy of each entry, a RoleBinding of its Kubernetes role in
// each namespace of its scope, or a ClusterRoleBinding for a cluster
// scope, to the entry's policy group. A namespace that does not exist
// gets no binding.
func (p *dataPlane) bindPolicies(ctx context.Context, entries []frontEntry) error {
	sel := metav1.ListOptions{LabelSelector: policyLabel}
	list, err := p.admin.RbacV1().RoleBindings("").List(ctx, sel)
	if err != nil {
		return err
	}
	for _, b := range list.Items {
		if err := p.admin.RbacV1().RoleBindings(b.Namespace).Delete(ctx, b.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	if err := p.admin.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		return err
	}
	for _, e := range entries {
		for policyARN, scope := range e.Policies {
			role := accessPolicyRoles[policyARN[strings.LastIndex(policyARN, "/")+1:]]
			if role == "" {
				continue
			}
			meta := metav1.ObjectMeta{Name: "localeks:" + role + ":" + shortHash(e.Principal), Labels: map[string]string{policyLabel: shortHash(e.Principal)}}
			subjects := []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: policyGroup(e.Principal)}}
			ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}
			if scope.Type == "cluster" {
				if _, err := p.admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: meta, Subjects: subjects, RoleRef: ref}, metav1.CreateOptions{}); err != nil {
					return err
				}
				continue
			}
			for _, ns := range scope.Namespaces {
				m := meta
				m.Namespace = ns
				if _, err := p.admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: m, Subjects: subjects, RoleRef: ref}, metav1.CreateOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
			}
		}
	}
	return nil
}

// addNodegroup registers a node group's nodes, Ready, labelled as EKS
// labels them, and returns their names.
func (p *dataPlane) addNodegroup(ctx context.Context, name string, instanceTypes []string, count int) ([]string, error) {
	<-p.ready
	if p.err != nil {
		return nil, p.err
	}
	instanceType := "t3.medium"
	if len(instanceTypes) > 0 {
		instanceType = instanceTypes[0]
	}
	var names []string
	for range count {
		p.mu.Lock()
		p.nodes++
		n := p.nodes
		p.mu.Unlock()
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("ip-10-0-%d-%d.%s.compute.internal", n/250, n%250+1, p.region),
				Labels: map[string]string{
					"eks.amazonaws.com/nodegroup":      name,
					"node.kubernetes.io/instance-type": instanceType,
					"topology.kubernetes.io/region":    p.region,
					"kubernetes.io/os":                 "linux",
				},
			},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}},
		}
		if _, err := p.admin.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return names, err
		}
		names = append(names, node.Name)
	}
	return names, nil
}

// removeNodes deletes a node group's nodes.
func (p *dataPlane) removeNodes(ctx context.Context, names []string) error {
	for _, n := range names {
		if err := p.admin.CoreV1().Nodes().Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// nodeRoleMapping is the aws-auth entry EKS adds for a managed node
// group's role.
func nodeRoleMapping(roleARN string) string {
	return "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: " + roleARN + "\n  username: system:node:{{EC2PrivateDNSName}}\n"
}

// mapNodeRole adds the node role to aws-auth's mapRoles (creating
// aws-auth if it is missing), keeping every other byte, unless the role is
// there already.
func (p *dataPlane) mapNodeRole(ctx context.Context, roleARN string) error {
	cms := p.admin.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
			Data: map[string]string{"mapRoles": nodeRoleMapping(roleARN)}}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	roles := cm.Data["mapRoles"]
	if strings.Contains(roles, "rolearn: "+roleARN+"\n") {
		return nil
	}
	switch {
	case strings.TrimSpace(roles) == "" || strings.TrimSpace(roles) == "[]":
		roles = ""
	case !strings.HasSuffix(roles, "\n"):
		roles += "\n"
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data["mapRoles"] = roles + nodeRoleMapping(roleARN)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}

// unmapNodeRole takes out the entry mapNodeRole added, if it is still
// there as it was written.
func (p *dataPlane) unmapNodeRole(ctx context.Context, roleARN string) error {
	cms := p.admin.CoreV1().ConfigMaps("kube-system")
	cm, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	entry := nodeRoleMapping(roleARN)
	if !strings.Contains(cm.Data["mapRoles"], entry) {
		return nil
	}
	cm.Data["mapRoles"] = strings.Replace(cm.Data["mapRoles"], entry, "", 1)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}
