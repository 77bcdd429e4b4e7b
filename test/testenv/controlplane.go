package testenv

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ControlPlane is a running etcd, kube-apiserver and kube-controller-manager
// on loopback, with RBAC, TokenRequest and client-certificate
// authentication.
type ControlPlane struct {
	// Dir holds the control plane's data, certificates and logs.
	Dir string
	// URL is the apiserver's https address.
	URL string
	// CAData is the PEM of the authority behind the serving certificate.
	CAData []byte
	// AdminKubeconfig is a kubeconfig file for a system:masters user,
	// with a context named "admin".
	AdminKubeconfig string
	// ServiceAccountIssuer is the issuer of ServiceAccount tokens.
	ServiceAccountIssuer string

	ca        *authority
	procs     []*process
	stopOnce  sync.Once
	adminCert []byte
	adminKey  []byte
}

// Options adjust the control plane.
type Options struct {
	// APIServerArgs are added to kube-apiserver's flags (for example a
	// token webhook); each path in them must already exist.
	APIServerArgs []string
	// Audit makes the apiserver log who made each request (AuditEvents).
	Audit bool
	// ServiceAccountIssuer is the issuer of its ServiceAccount tokens
	// (default https://kubernetes.default.svc.cluster.local).
	ServiceAccountIssuer string
}

// auditPolicy logs every request at the Metadata level (who, what,
// when, with which client), except the health checks.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: Metadata
`

// StartControlPlane starts etcd and kube-apiserver in dir (a fresh
// temporary directory when empty) and waits until the apiserver is ready.
func StartControlPlane(ctx context.Context, dir string, opts Options) (_ *ControlPlane, err error) {
	etcdBin, err := testBinary("etcd")
	if err != nil {
		return nil, err
	}
	apiserverBin, err := testBinary("kube-apiserver")
	if err != nil {
		return nil, err
	}
	controllerManagerBin, err := testBinary("kube-controller-manager")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kubectl-tenant-controlplane-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: dir, ServiceAccountIssuer: cmp.Or(opts.ServiceAccountIssuer, "https://kubernetes.default.svc.cluster.local")}
	defer func() {
		if err != nil {
			cp.Stop()
		}
	}()
	if cp.ca, err = newAuthority(); err != nil {
		return nil, err
	}
	cp.CAData = cp.ca.certPEM

	files := map[string][]byte{"ca.crt": cp.ca.certPEM}
	if files["serving.crt"], files["serving.key"], err = cp.ca.issue("kube-apiserver", nil, true); err != nil {
		return nil, err
	}
	if cp.adminCert, cp.adminKey, err = cp.ca.issue("admin", []string{"system:masters"}, false); err != nil {
		return nil, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	saKey := filepath.Join(dir, "sa.key")
	if err := signingKey(saKey); err != nil {
		return nil, err
	}

	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	etcd, err := startProcess(dir, "etcd", etcdBin,
		"--name=default",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, etcd)

	cp.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	args := []string{
		"--etcd-servers=" + clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--cert-dir=" + filepath.Join(dir, "cert-dir"),
		"--tls-cert-file=" + filepath.Join(dir, "serving.crt"),
		"--tls-private-key-file=" + filepath.Join(dir, "serving.key"),
		"--client-ca-file=" + filepath.Join(dir, "ca.crt"),
		"--service-account-issuer=" + cp.ServiceAccountIssuer,
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--service-account-max-token-expiration=48h",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--disable-admission-plugins=ServiceAccount",
	}
	if opts.Audit {
		policy := filepath.Join(dir, "audit-policy.yaml")
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--audit-policy-file="+policy, "--audit-log-path="+filepath.Join(dir, "audit.log"), "--audit-log-format=json")
	}
	apiserver, err := startProcess(dir, "kube-apiserver", apiserverBin, append(args, opts.APIServerArgs...)...)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, apiserver)

	if cp.AdminKubeconfig, err = cp.writeKubeconfig("admin", cp.adminCert, cp.adminKey); err != nil {
		return nil, err
	}
	if err := cp.waitReady(ctx, apiserver, etcd); err != nil {
		return nil, err
	}

	// Only the controllers whose effects the tests rely on; no leader
	// election and no serving port, so several control planes can run.
	kcm, err := startProcess(dir, "kube-controller-manager", controllerManagerBin,
		"--kubeconfig="+cp.AdminKubeconfig,
		"--controllers=clusterrole-aggregation,namespace,serviceaccount,garbagecollector",
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
	)
	if err != nil {
		return nil, err
	}
	cp.procs = append(cp.procs, kcm)
	if err := cp.waitAggregated(ctx, kcm); err != nil {
		return nil, err
	}
	return cp, nil
}

// waitAggregated waits until the controller manager has filled the
// aggregated "edit" ClusterRole, which tests granting edit depend on.
func (cp *ControlPlane) waitAggregated(ctx context.Context, kcm *process) error {
	client, err := cp.AdminClient()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if kcm.exited() {
			return fmt.Errorf("kube-controller-manager exited while starting:\n%s", kcm.logTail())
		}
		role, err := client.RbacV1().ClusterRoles().Get(ctx, "edit", metav1.GetOptions{})
		if err == nil && len(role.Rules) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ClusterRole edit not aggregated after 60s (last error: %v):\n%s", err, kcm.logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitReady polls /readyz with the admin identity.
func (cp *ControlPlane) waitReady(ctx context.Context, procs ...*process) error {
	cert, err := tls.X509KeyPair(cp.adminCert, cp.adminKey)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cp.CAData)
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}},
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		for _, p := range procs {
			if p.exited() {
				return fmt.Errorf("%s exited while starting:\n%s", p.name, p.logTail())
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cp.URL+"/readyz", nil)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver not ready after 90s (last error: %v):\n%s", err, procs[0].logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// AuditEvent is one request the apiserver's audit log recorded (with
// Options.Audit).
type AuditEvent struct {
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	UserAgent  string `json:"userAgent"`
	User       struct {
		Username string   `json:"username"`
		Groups   []string `json:"groups"`
	} `json:"user"`
	ObjectRef struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// DryRun reports whether the request was a server-side dry run, which
// the apiserver checks and persists nothing of.
func (e AuditEvent) DryRun() bool {
	u, err := url.Parse(e.RequestURI)
	return err == nil && u.Query().Get("dryRun") != ""
}

// AuditEvents reads the audit log so far.
func (cp *ControlPlane) AuditEvents() ([]AuditEvent, error) {
	data, err := os.ReadFile(filepath.Join(cp.Dir, "audit.log"))
	if err != nil {
		return nil, fmt.Errorf("reading the audit log (was the control plane started with Options.Audit?): %w", err)
	}
	var events []AuditEvent
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e AuditEvent
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("audit log line %q: %w", line, err)
		}
		events = append(events, e)
	}
	return events, nil
}

// IssueUser signs a client certificate for user in groups and returns its
// PEM and its key's PEM.
func (cp *ControlPlane) IssueUser(user string, groups ...string) (certPEM, keyPEM []byte, err error) {
	return cp.ca.issue(user, groups, false)
}

// AddUser writes a kubeconfig (context named after the user) that
// authenticates as user with groups, by client certificate, and returns
// its path.
func (cp *ControlPlane) AddUser(user string, groups ...string) (string, error) {
	certPEM, keyPEM, err := cp.ca.issue(user, groups, false)
	if err != nil {
		return "", err
	}
	return cp.writeKubeconfig(user, certPEM, keyPEM)
}

func (cp *ControlPlane) writeKubeconfig(user string, certPEM, keyPEM []byte) (string, error) {
	cfg := cp.Kubeconfig(user, certPEM, keyPEM)
	path := filepath.Join(cp.Dir, "kubeconfig-"+user)
	return path, clientcmd.WriteToFile(*cfg, path)
}

// Kubeconfig is a config with one context, cluster and user, all named name.
func (cp *ControlPlane) Kubeconfig(name string, certPEM, keyPEM []byte) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: cp.URL, CertificateAuthorityData: cp.CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	return cfg
}

// AdminConfig is a rest.Config for the system:masters user.
func (cp *ControlPlane) AdminConfig() *rest.Config {
	return &rest.Config{
		Host: cp.URL,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: cp.CAData, CertData: cp.adminCert, KeyData: cp.adminKey,
		},
		QPS: -1, // no client-side throttling in tests
	}
}

// AdminClient is a clientset for the system:masters user.
func (cp *ControlPlane) AdminClient() (*kubernetes.Clientset, error) {
	return kubernetes.NewForConfig(cp.AdminConfig())
}

// Stop ends the apiserver, then etcd, and removes Dir.
func (cp *ControlPlane) Stop() {
	cp.stopOnce.Do(func() {
		for i := len(cp.procs) - 1; i >= 0; i-- {
			cp.procs[i].stop()
		}
		if cp.Dir != "" {
			_ = os.RemoveAll(cp.Dir)
		}
	})
}

// process is a child process whose output goes to a log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProcess(dir, name, bin string, args ...string) (*process, error) {
	return startProcessEnv(dir, name, bin, nil, args...)
}

// startProcessEnv is startProcess with variables added to the environment.
func startProcessEnv(dir, name, bin string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end, and kills it after a short grace: its
// state is thrown away, and kube-apiserver's graceful shutdown alone would
// take ten seconds of every test that stops a cluster.
func (p *process) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// logTail is the end of the process's log, for errors.
func (p *process) logTail() string {
	data, _ := os.ReadFile(p.log)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(bytes.TrimSpace(data))
}

// freePorts finds n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, errors.Join(errors.New("finding a free port"), err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
