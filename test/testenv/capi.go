package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
)

// InstallCAPI installs Cluster API's and CAPA's own CRDs, the ones
// capa.CRDs names, into the control plane from the module sources this
// build uses (as their releases ship them: the bases carry no webhook or
// CA placeholders, so a bare apiserver takes them), and waits until each
// is Established. No Cluster API or CAPA controller runs: a test that
// needs one plays it.
func (cp *ControlPlane) InstallCAPI(ctx context.Context) error {
	kubectl, err := Kubectl()
	if err != nil {
		return err
	}
	dirs := map[string]string{}
	args := []string{"--kubeconfig", cp.AdminKubeconfig, "apply", "--server-side", "--field-manager", "testenv"}
	for _, c := range capa.CRDs {
		if dirs[c.Module] == "" {
			if dirs[c.Module], err = moduleDir(ctx, c.Module); err != nil {
				return err
			}
		}
		args = append(args, "-f", filepath.Join(dirs[c.Module], c.Path))
	}
	if out, err := exec.CommandContext(ctx, kubectl, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("installing the Cluster API and CAPA CRDs: %v\n%s", err, out)
	}
	wait := []string{"--kubeconfig", cp.AdminKubeconfig, "wait", "--for", "condition=Established", "--timeout", "60s"}
	for _, c := range capa.CRDs {
		wait = append(wait, "crd/"+c.Name)
	}
	if out, err := exec.CommandContext(ctx, kubectl, wait...).CombinedOutput(); err != nil {
		return fmt.Errorf("waiting for the Cluster API and CAPA CRDs: %v\n%s", err, out)
	}
	return nil
}

// moduleDir is where the module this repository requires is in the
// module cache (downloaded if it is not there yet).
func moduleDir(ctx context.Context, module string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module)
	cmd.Dir = filepath.Dir(file)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding module %s's sources (go mod download): %v", module, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s gave no directory (%v):\n%s", module, err, out)
	}
	return m.Dir, nil
}
