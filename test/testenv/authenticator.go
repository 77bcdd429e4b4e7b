package testenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sirupsen/logrus"
	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper"
	"sigs.k8s.io/aws-iam-authenticator/pkg/metrics"
	"sigs.k8s.io/aws-iam-authenticator/pkg/server"
)

// Authenticator is aws-iam-authenticator's own server, run in the test
// process as a kube-apiserver's token webhook: its Verifier checks IAM
// tokens with STS (answered by Moto.STSTransport, which checks the
// signature against moto's issued credentials), and its aws-auth mapper
// watches kube-system/aws-auth in that apiserver.
//
// It starts in two steps because each side needs the other: Prepare
// writes the server's certificate and the webhook kubeconfig the
// apiserver is started with (APIServerArgs); Start runs the server once
// the apiserver is up.
type Authenticator struct {
	cfg     config.Config
	srv     *server.Server
	stop    chan struct{}
	logFile *os.File // nil when the log is someone else's (logPath)
	logPath string
	// APIServerArgs make kube-apiserver ask the server about bearer
	// tokens, caching each answer for CacheTTL.
	APIServerArgs []string
}

// CacheTTL is how long the apiserver keeps the server's answer for a
// token; EKS keeps them too, so a revoked principal's token stays
// authenticated (with no rights left) until then.
const CacheTTL = 10 * time.Minute

// PrepareAuthenticator writes the certificate and webhook kubeconfig of a
// server for clusterID into dir. Its mapper is aws-auth's, and its log is
// its own file.
func PrepareAuthenticator(dir, clusterID string) (*Authenticator, error) {
	state := filepath.Join(dir, "aws-iam-authenticator")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(state, "server.log"))
	if err != nil {
		return nil, err
	}
	logrus.SetOutput(f)
	a, err := prepareAuthenticator(state, config.Config{ClusterID: clusterID, BackendMode: []string{mapper.ModeEKSConfigMap}}, f.Name())
	if err != nil {
		f.Close()
		return nil, err
	}
	a.logFile = f
	return a, nil
}

// prepareAuthenticator completes cfg (addresses, state in dir) and writes
// the server's certificate and webhook kubeconfig. The server logs through
// logrus, which the caller points at logPath.
func prepareAuthenticator(dir string, cfg config.Config, logPath string) (*Authenticator, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cfg.PartitionID = "aws"
	cfg.Address, cfg.Hostname, cfg.HostPort, cfg.HealthPort = "127.0.0.1", "127.0.0.1", ports[0], ports[1]
	cfg.StateDir = dir
	cfg.GenerateKubeconfigPath = filepath.Join(dir, "webhook.kubeconfig")
	cfg.KubeconfigPregenerated = true
	a := &Authenticator{cfg: cfg, logPath: logPath}
	if err := a.cfg.GenerateFiles(); err != nil {
		return nil, fmt.Errorf("aws-iam-authenticator certificate and webhook kubeconfig: %w", err)
	}
	a.APIServerArgs = []string{
		"--authentication-token-webhook-config-file=" + a.cfg.GenerateKubeconfigPath,
		"--authentication-token-webhook-version=v1beta1",
		"--authentication-token-webhook-cache-ttl=" + CacheTTL.String(),
	}
	return a, nil
}

// Start runs the server, its mapper reading aws-auth through kubeconfig.
// IMDS is turned off for the process (there is no EC2 here), and the
// server's log goes to a file in its state directory.
func (a *Authenticator) Start(ctx context.Context, kubeconfig string) error {
	if err := os.Setenv("AWS_EC2_METADATA_DISABLED", "true"); err != nil {
		return err
	}
	metricsOnce.Do(func() { metrics.InitMetrics(prometheus.NewRegistry()) })
	a.cfg.Kubeconfig = kubeconfig
	a.srv = server.New(ctx, a.cfg)
	a.stop = make(chan struct{})
	go a.srv.Run(a.stop)
	health := fmt.Sprintf("http://127.0.0.1:%d/healthz", a.cfg.HealthPort)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(health); err == nil {
			resp.Body.Close()
			return nil
		}
	}
	return fmt.Errorf("aws-iam-authenticator did not answer on %s in 30s; its log:\n%s", health, a.Log())
}

// metricsOnce registers the servers' metrics once per process: the
// authenticator's metrics are package globals, and its dynamic-file
// mappers record to them.
var metricsOnce sync.Once

// Log is the server's log so far, for failure messages.
func (a *Authenticator) Log() string {
	data, _ := os.ReadFile(a.logPath)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// Stop ends the server's mapper and listener.
func (a *Authenticator) Stop() {
	if a.stop != nil {
		close(a.stop)
		a.srv.Close()
	}
	if a.logFile != nil {
		logrus.SetOutput(io.Discard)
		a.logFile.Close()
	}
}
