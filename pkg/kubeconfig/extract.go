package kubeconfig

import (
	"fmt"
	"os"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
)

// Extract returns a self-contained kubeconfig holding only the named
// contexts and the clusters and users they refer to, with certificate and
// key files inlined as *-data fields: what `kubectl config view --minify
// --flatten` gives for one context, for several at once. Its current
// context is the first name. Token files and exec commands stay as
// absolute paths: they are read at each use and may rotate.
func (s *Set) Extract(names []string) (*clientcmdv1.Config, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no context to extract")
	}
	out := newConfig()
	out.CurrentContext = names[0]
	seen := map[string]bool{}
	for _, name := range names {
		if seen["context/"+name] {
			continue
		}
		seen["context/"+name] = true
		ctx, _ := s.Context(name)
		if ctx == nil {
			return nil, s.unknownContext(name)
		}
		out.Contexts = append(out.Contexts, *ctx.DeepCopy())

		if cn := ctx.Context.Cluster; cn != "" && !seen["cluster/"+cn] {
			seen["cluster/"+cn] = true
			c, f, err := s.fullCluster(cn)
			if err != nil {
				return nil, err
			}
			if c == nil {
				return nil, fmt.Errorf("context %q refers to cluster %q, which no kubeconfig file defines", name, cn)
			}
			flat := c.DeepCopy()
			if err := flattenCluster(&flat.Cluster, dirOf(f)); err != nil {
				return nil, fmt.Errorf("cluster %q in %s: %w", cn, f.Path, err)
			}
			out.Clusters = append(out.Clusters, *flat)
		}
		if un := ctx.Context.AuthInfo; un != "" && !seen["user/"+un] {
			seen["user/"+un] = true
			u, f, err := s.fullUser(un)
			if err != nil {
				return nil, err
			}
			if u == nil {
				return nil, fmt.Errorf("context %q refers to user %q, which no kubeconfig file defines", name, un)
			}
			flat := u.DeepCopy()
			if err := flattenUser(&flat.AuthInfo, dirOf(f)); err != nil {
				return nil, fmt.Errorf("user %q in %s: %w", un, f.Path, err)
			}
			out.AuthInfos = append(out.AuthInfos, *flat)
		}
	}
	return out, nil
}

func flattenCluster(c *clientcmdv1.Cluster, dir string) error {
	if err := resolveRefs(clusterFileRefs(c), dir); err != nil {
		return err
	}
	return inline(&c.CertificateAuthority, &c.CertificateAuthorityData, "certificate-authority")
}

func flattenUser(u *clientcmdv1.AuthInfo, dir string) error {
	if err := resolveRefs(userFileRefs(u), dir); err != nil {
		return err
	}
	if err := inline(&u.ClientCertificate, &u.ClientCertificateData, "client-certificate"); err != nil {
		return err
	}
	return inline(&u.ClientKey, &u.ClientKeyData, "client-key")
}

// inline moves a referenced file's content into its *-data field. Data
// already inline wins, as it does for kubectl.
func inline(path *string, data *[]byte, field string) error {
	if *path == "" {
		return nil
	}
	if len(*data) == 0 {
		b, err := os.ReadFile(*path)
		if err != nil {
			return fmt.Errorf("inlining %s: %w", field, err)
		}
		*data = b
	}
	*path = ""
	return nil
}
