package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

const awsAuthMappings = 2000

// auditPolicy records every request for a ConfigMap, so the apiserver
// itself counts what the grant reads and writes.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: [configmaps]
- level: None
`

// benchAWSAuth: a grant through aws-auth holding 2,000 mappings, whole
// process, with its aws-auth reads and writes counted from the
// apiserver's audit log; then the same grant again.
func benchAWSAuth(r *report, bin, dir string) error {
	dir = filepath.Join(dir, "aws-auth")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	policy, auditLog := filepath.Join(dir, "audit-policy.yaml"), filepath.Join(dir, "audit.log")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	cp, err := testenv.StartControlPlane(ctx, filepath.Join(dir, "controlplane"), testenv.Options{APIServerArgs: []string{
		"--audit-policy-file=" + policy, "--audit-log-path=" + auditLog, "--audit-log-mode=blocking",
	}})
	if err != nil {
		return fmt.Errorf("starting the control plane (make testbin builds it): %w", err)
	}
	defer cp.Stop()
	client, err := cp.AdminClient()
	if err != nil {
		return err
	}
	var roles strings.Builder
	for i := range awsAuthMappings {
		fmt.Fprintf(&roles, "- rolearn: arn:aws:iam::%012d:role/team-%04d\n  username: team-%04d:{{SessionName}}\n  groups:\n    - team-%04d\n", 100000000000+i, i, i, i)
	}
	if _, err := client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system"},
		Data:       map[string]string{"mapRoles": roles.String()},
	}, metav1.CreateOptions{}); err != nil {
		return err
	}
	env := []string{"KUBECONFIG=" + cp.AdminKubeconfig, "KUBECTL_TENANT_REGISTRY=" + filepath.Join(dir, "tenants.yaml")}
	if _, _, err := timed(bin, []string{"create", "big", "--from-context", "admin"}, env); err != nil {
		return err
	}
	// A first grant makes the backup ConfigMap (a patch that finds none,
	// then a create); the figures are of a change after that.
	if _, _, err := timed(bin, []string{"grant", "big", "--iam-role", "arn:aws:iam::444455556666:role/first-team", "--role", "view", "--via", "aws-auth"}, env); err != nil {
		return err
	}
	grant := []string{"grant", "big", "--iam-role", "arn:aws:iam::444455556666:role/new-team", "--role", "view", "--via", "aws-auth"}
	mark, err := countAudit(auditLog)
	if err != nil {
		return err
	}
	first, _, err := timed(bin, grant, env)
	if err != nil {
		return err
	}
	counts, err := countAudit(auditLog)
	if err != nil {
		return err
	}
	counts = counts.since(mark)
	again, _, err := timed(bin, grant, env)
	if err != nil {
		return err
	}
	after, err := countAudit(auditLog)
	if err != nil {
		return err
	}
	repeat := after.since(counts.plus(mark))
	r.limitDuration(fmt.Sprintf("grant --via aws-auth, %d mappings (whole process)", awsAuthMappings), first, 2*time.Second)
	r.exact("  aws-auth reads", counts.awsAuthReads, 1)
	r.exact("  aws-auth writes", counts.awsAuthWrites, 1)
	r.info("  backup ConfigMap writes / reads", fmt.Sprint(counts.backupWrites), "-", fmt.Sprintf("%d / %d", counts.backupWrites, counts.backupReads))
	r.limitDuration("  the same grant again", again, 2*time.Second)
	r.exact("  aws-auth writes of the repeated grant", repeat.awsAuthWrites+repeat.backupWrites, 0)
	return nil
}

type auditCounts struct {
	awsAuthReads, awsAuthWrites, backupReads, backupWrites int
}

func (a auditCounts) since(b auditCounts) auditCounts {
	return auditCounts{a.awsAuthReads - b.awsAuthReads, a.awsAuthWrites - b.awsAuthWrites, a.backupReads - b.backupReads, a.backupWrites - b.backupWrites}
}

func (a auditCounts) plus(b auditCounts) auditCounts {
	return auditCounts{a.awsAuthReads + b.awsAuthReads, a.awsAuthWrites + b.awsAuthWrites, a.backupReads + b.backupReads, a.backupWrites + b.backupWrites}
}

// countAudit counts the completed requests for aws-auth and its backup
// in the audit log.
func countAudit(path string) (auditCounts, error) {
	var c auditCounts
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<24)
	for s.Scan() {
		var ev struct {
			Stage     string `json:"stage"`
			Verb      string `json:"verb"`
			ObjectRef struct {
				Namespace string `json:"namespace"`
				Name      string `json:"name"`
			} `json:"objectRef"`
		}
		if err := json.Unmarshal(s.Bytes(), &ev); err != nil {
			return c, err
		}
		if ev.Stage != "ResponseComplete" || ev.ObjectRef.Namespace != "kube-system" {
			continue
		}
		read := ev.Verb == "get" || ev.Verb == "list" || ev.Verb == "watch"
		switch ev.ObjectRef.Name {
		case "aws-auth":
			if read {
				c.awsAuthReads++
			} else {
				c.awsAuthWrites++
			}
		case "aws-auth-kubectl-tenant-backup":
			if read {
				c.backupReads++
			} else {
				c.backupWrites++
			}
		}
	}
	return c, s.Err()
}
