package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Moto is a running moto_server, the AWS API emulator, on loopback.
type Moto struct {
	// URL is the endpoint for every AWS service.
	URL  string
	proc *process
	dir  string

	mu     sync.Mutex
	issued map[string]*issuedCredential // by access key ID
	unseen map[string]bool              // keys data.json did not list
}

// StartMoto starts moto_server on a free loopback port in dir and waits
// until it answers.
func StartMoto(ctx context.Context, dir string) (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH: install moto 5.2.1 with its server extra (pip install 'moto[server]==5.2.1')")
	}
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	m := &Moto{URL: "http://127.0.0.1:" + strconv.Itoa(ports[0]), dir: dir}
	// moto knows AWS-managed IAM policies (AmazonEKSClusterPolicy, ...)
	// only when asked to load them.
	env := []string{"MOTO_IAM_LOAD_MANAGED_POLICIES=true"}
	if m.proc, err = startProcessEnv(dir, "moto", bin, env, "-H", "127.0.0.1", "-p", strconv.Itoa(ports[0])); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/moto-api/data.json", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
		if m.proc.exited() || time.Now().After(deadline) {
			m.Stop()
			return nil, fmt.Errorf("moto_server did not start (last error: %v):\n%s", err, m.proc.logTail())
		}
		select {
		case <-ctx.Done():
			m.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Env is the environment that points the AWS SDK and CLI at moto, with
// the static credentials moto accepts.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.URL,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=testing",
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// Stop ends moto_server.
func (m *Moto) Stop() {
	if m.proc != nil {
		m.proc.stop()
	}
}
