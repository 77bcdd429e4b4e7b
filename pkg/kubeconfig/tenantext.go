package kubeconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/atomicfile"
)

// ExtensionName names the context extension in which kubectl-tenant
// records whose context it is.
const ExtensionName = "kubectl-tenant"

// TenantExtension is what a context made by kubectl-tenant records: the
// tenant, the subject it acts as, and when its credential expires.
type TenantExtension struct {
	Tenant  string    `json:"tenant"`
	Subject string    `json:"subject"`
	Expires time.Time `json:"expires,omitzero"`
}

// SetTenantExtension records ext on the context, replacing an earlier one.
func SetTenantExtension(c *clientcmdv1.Context, ext TenantExtension) error {
	raw, err := json.Marshal(ext)
	if err != nil {
		return err
	}
	named := clientcmdv1.NamedExtension{Name: ExtensionName, Extension: runtime.RawExtension{Raw: raw}}
	for i := range c.Extensions {
		if c.Extensions[i].Name == ExtensionName {
			c.Extensions[i] = named
			return nil
		}
	}
	c.Extensions = append(c.Extensions, named)
	return nil
}

// TenantExtensionOf reads the context's kubectl-tenant extension; ok is
// false when it has none or it does not decode.
func TenantExtensionOf(c clientcmdv1.Context) (TenantExtension, bool) {
	for _, e := range c.Extensions {
		if e.Name != ExtensionName {
			continue
		}
		var ext TenantExtension
		if err := json.Unmarshal(e.Extension.Raw, &ext); err != nil {
			return TenantExtension{}, false
		}
		return ext, true
	}
	return TenantExtension{}, false
}

// ClusterOf returns a copy of the cluster a context uses, with its file
// references absolute, or inlined when flatten is set, so that it works
// from any other kubeconfig.
func (s *Set) ClusterOf(context string, flatten bool) (clientcmdv1.Cluster, error) {
	c, _ := s.Context(context)
	if c == nil {
		return clientcmdv1.Cluster{}, s.unknownContext(context)
	}
	cl, f := s.Cluster(c.Context.Cluster)
	if cl == nil {
		return clientcmdv1.Cluster{}, fmt.Errorf("context %q refers to cluster %q, which no kubeconfig file defines", context, c.Context.Cluster)
	}
	out := cl.Cluster.DeepCopy()
	if flatten {
		return *out, flattenCluster(out, dirOf(f))
	}
	return *out, resolveRefs(clusterFileRefs(out), dirOf(f))
}

// AddOwnedContexts merges the entries of cfg into the KUBECONFIG list at
// paths (under their locks), replacing earlier entries of the same names
// only when they are the plugin's for the same tenant and subject: a
// context of that name that is anyone else's is an error and nothing is
// written. It returns the file the new entries went to.
func AddOwnedContexts(ctx context.Context, paths []string, cfg *clientcmdv1.Config) (string, error) {
	unlock, err := atomicfile.LockAll(ctx, paths)
	if err != nil {
		return "", err
	}
	defer unlock()
	set, err := ReadSet(ctx, paths)
	if err != nil {
		return "", err
	}
	for _, c := range cfg.Contexts {
		have, f := set.Context(c.Name)
		if have == nil {
			continue
		}
		want, _ := TenantExtensionOf(c.Context)
		got, ok := TenantExtensionOf(have.Context)
		if !ok || got.Tenant != want.Tenant || got.Subject != want.Subject {
			return "", fmt.Errorf("context %q already exists in %s and is not %s's context in tenant %q; choose another name",
				c.Name, f.Path, want.Subject, want.Tenant)
		}
	}
	src := &File{Path: "kubectl-tenant", Config: cfg, Exists: true}
	if _, err := set.Merge([]*File{src}, MergeOptions{OnConflict: OnConflictOverwrite}); err != nil {
		return "", err
	}
	if err := set.WriteChanged(); err != nil {
		return "", err
	}
	return set.Files[0].Path, nil
}
