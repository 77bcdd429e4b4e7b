package kubeconfig

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
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

// ContextColumns are the columns of a table of contexts: those of kubectl
// config get-contexts, then the tenant and the credential's expiry of the
// contexts kubectl-tenant made.
var ContextColumns = []string{"NAME", "CLUSTER", "USER", "NAMESPACE", "CURRENT", "TENANT", "EXPIRES"}

// ContextRow is a context's row of that table; current is the current
// context's name.
func ContextRow(c clientcmdv1.NamedContext, current string) []string {
	mark := ""
	if c.Name == current {
		mark = "*"
	}
	tenant, expires := "", ""
	if ext, ok := TenantExtensionOf(c.Context); ok {
		tenant = ext.Tenant
		if !ext.Expires.IsZero() {
			expires = ext.Expires.UTC().Format(time.RFC3339)
		}
	}
	return []string{c.Name, c.Context.Cluster, c.Context.AuthInfo, c.Context.Namespace, mark, tenant, expires}
}
