// Package cluster connects to a tenant's cluster through the user's
// kubeconfig, by the context the tenant was adopted through, and asks it
// for ServiceAccount tokens. It knows nothing of AWS (package aws acts in
// a tenant's account), so the kubeconfig commands do not link the SDK.
package cluster

import (
	"errors"
	"fmt"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Connection is a client for one cluster and what it was made from.
type Connection struct {
	Context string
	Server  string
	Config  *rest.Config
	Client  kubernetes.Interface
}

// ErrNoContext is Connect's error for a context no kubeconfig file has.
var ErrNoContext = errors.New("no kubeconfig context")

// Connect builds a client for a kubeconfig context, read with the same
// rules (and --kubeconfig) as every other command. An empty context means
// the current one.
func Connect(getter genericclioptions.RESTClientGetter, context string) (*Connection, error) {
	loader := getter.ToRawKubeConfigLoader()
	rules, ok := loader.ConfigAccess().(*clientcmd.ClientConfigLoadingRules)
	if !ok {
		return nil, fmt.Errorf("unexpected kubeconfig loader %T", loader.ConfigAccess())
	}
	// Read the files now, not through the getter's cached loader: create
	// connects through a context it has just written.
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	if context == "" {
		context = raw.CurrentContext
	}
	if _, ok := raw.Contexts[context]; !ok {
		return nil, fmt.Errorf("%w named %q; see 'kubectl tenant contexts list'", ErrNoContext, context)
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: %w", context, err)
	}
	// A grant on hundreds of namespaces is one apply each, sent at most
	// apply.Concurrency at a time; let that through without client-side
	// throttling, while still bounding a runaway loop.
	cfg.QPS, cfg.Burst = 100, 300
	// cli-runtime's hook for wrapping every client (tests count requests with it).
	if f, ok := getter.(*genericclioptions.ConfigFlags); ok && f.WrapConfigFn != nil {
		cfg = f.WrapConfigFn(cfg)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Connection{Context: context, Server: cfg.Host, Config: cfg, Client: client}, nil
}

// KubeconfigPaths are the files kubectl would read, in order, without the
// empty entries a KUBECONFIG such as "a::b" yields.
func KubeconfigPaths(getter genericclioptions.RESTClientGetter) []string {
	var paths []string
	for _, p := range getter.ToRawKubeConfigLoader().ConfigAccess().GetLoadingPrecedence() {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths
}

// Unreachable explains a failed call to a tenant's cluster and how to
// check the context it is reached through.
func Unreachable(t *tenant.Tenant, err error) error {
	return fmt.Errorf("tenant %q's cluster (context %q) did not answer: %w; check the context with 'kubectl --context %s get ns'",
		t.Name, t.Spec.Cluster.Context, err, t.Spec.Cluster.Context)
}
