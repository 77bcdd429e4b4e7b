// Package cluster connects to a tenant's cluster through the user's
// kubeconfig, by the context the tenant was adopted through, and asks it
// for ServiceAccount tokens. It knows nothing of AWS (package aws acts in
// a tenant's account), so the kubeconfig commands do not link the SDK.
package cluster

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
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

// Connect builds a client for a kubeconfig context (RESTConfig). An
// empty context means the current one.
func Connect(getter genericclioptions.RESTClientGetter, context string) (*Connection, error) {
	cfg, context, err := RESTConfig(getter, context)
	if err != nil {
		return nil, err
	}
	// A grant on hundreds of namespaces is one apply each, sent at most
	// apply.Concurrency at a time; let that through without client-side
	// throttling, while still bounding a runaway loop.
	cfg.QPS, cfg.Burst = 100, 300
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Connection{Context: context, Server: cfg.Host, Config: cfg, Client: client}, nil
}

// RESTConfig is how every connection is made: the REST config of a
// kubeconfig context (empty: the current one), read with the same rules
// (and --kubeconfig) as every other command, with the connection flags
// the user gave kept as kubectl keeps them (--as, --as-group, --as-uid,
// --as-user-extra, --token, --user, --username, --password,
// --client-certificate, --client-key, --request-timeout, and the flags of
// OneClusterFlags). The context is the one asked for, not --context, and
// -n is not a connection's. It returns the context used.
func RESTConfig(getter genericclioptions.RESTClientGetter, context string) (*rest.Config, string, error) {
	loader := getter.ToRawKubeConfigLoader()
	rules, ok := loader.ConfigAccess().(*clientcmd.ClientConfigLoadingRules)
	if !ok {
		return nil, "", fmt.Errorf("unexpected kubeconfig loader %T", loader.ConfigAccess())
	}
	// Read the files now, not through the getter's cached loader: create
	// connects through a context it has just written.
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("reading the kubeconfig: %w", err)
	}
	if context == "" {
		context = raw.CurrentContext
	}
	if _, ok := raw.Contexts[context]; !ok {
		return nil, "", fmt.Errorf("%w named %q; see 'kubectl tenant contexts list'", ErrNoContext, context)
	}
	var cfg *rest.Config
	if flags, ok := getter.(*genericclioptions.ConfigFlags); ok {
		// kubectl's own path, ToRESTConfig, with the context asked for.
		cfg, err = forContext(flags, context).ToRESTConfig()
	} else {
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	}
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig context %q: %w", context, err)
	}
	return cfg, context, nil
}

// forContext is a copy of the user's flags (every exported field: the
// connection flags, --kubeconfig and cli-runtime's WrapConfigFn hook)
// with --context set to context. Its loader is not cached, so it reads
// the kubeconfig as it is now: create connects through a context it has
// just written.
func forContext(f *genericclioptions.ConfigFlags, context string) *genericclioptions.ConfigFlags {
	c := genericclioptions.NewConfigFlags(false)
	from, to := reflect.ValueOf(f).Elem(), reflect.ValueOf(c).Elem()
	for i := range from.NumField() {
		if from.Type().Field(i).IsExported() {
			to.Field(i).Set(from.Field(i))
		}
	}
	c.Context = &context
	return c
}

func value(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// OneClusterFlags names the flags the user gave that name one cluster
// (--server, --cluster, --certificate-authority, --tls-server-name,
// --insecure-skip-tls-verify) or carry one cluster's credential (--token,
// --username, --password, --client-certificate, --client-key, --user). They are
// kept where a command reaches one cluster, and refused
// (RefuseOneClusterFlags) where it reaches several, so that a credential
// is never sent to a cluster it was not meant for.
func OneClusterFlags(getter genericclioptions.RESTClientGetter) []string {
	f, ok := getter.(*genericclioptions.ConfigFlags)
	if !ok {
		return nil
	}
	var given []string
	for _, flag := range []struct {
		name string
		set  bool
	}{
		{"--server", value(f.APIServer) != ""},
		{"--cluster", value(f.ClusterName) != ""},
		{"--certificate-authority", value(f.CAFile) != ""},
		{"--tls-server-name", value(f.TLSServerName) != ""},
		{"--insecure-skip-tls-verify", f.Insecure != nil && *f.Insecure},
		// A credential is one cluster's: it is not sent to the others.
		{"--token", value(f.BearerToken) != ""},
		{"--username", value(f.Username) != ""},
		{"--password", value(f.Password) != ""},
		{"--client-certificate", value(f.CertFile) != ""},
		{"--client-key", value(f.KeyFile) != ""},
		{"--user", value(f.AuthInfoName) != ""}, // a kubeconfig user is one cluster's credential too
	} {
		if flag.set {
			given = append(given, flag.name)
		}
	}
	return given
}

// RefuseOneClusterFlags refuses the flags of OneClusterFlags for a
// command that reaches several clusters; why says which ("list reaches
// every tenant's cluster").
func RefuseOneClusterFlags(getter genericclioptions.RESTClientGetter, why string) error {
	if given := OneClusterFlags(getter); len(given) > 0 {
		return fmt.Errorf("%s names one cluster or its credential, and %s: leave it out (each cluster is reached through its own context)", strings.Join(given, ", "), why)
	}
	return nil
}

// KubeconfigPaths are the files kubectl would read, in order, without the
// empty entries a KUBECONFIG such as "a::b" yields: the same rule the
// reader reads them by.
func KubeconfigPaths(getter genericclioptions.RESTClientGetter) []string {
	return kubeconfig.LoadingPaths(getter.ToRawKubeConfigLoader().ConfigAccess().GetExplicitFile())
}

// Unreachable explains a failed call to a tenant's cluster and how to
// check the context it is reached through. An answer the API server gave
// (Forbidden, say) is not a cluster that did not answer: it is returned
// as it is, naming the tenant.
func Unreachable(t *tenant.Tenant, err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return fmt.Errorf("tenant %q's cluster (context %q): %w", t.Name, t.Spec.Cluster.Context, err)
	}
	return fmt.Errorf("tenant %q's cluster (context %q) did not answer: %w; check the context with 'kubectl --context %s get ns'",
		t.Name, t.Spec.Cluster.Context, err, t.Spec.Cluster.Context)
}
