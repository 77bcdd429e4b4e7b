package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"k8s.io/client-go/util/homedir"
)

// The file references kubectl resolves relative to the kubeconfig that
// holds them (client-go's GetClusterFileReferences and
// GetAuthInfoFileReferences). An exec command is a file reference only when
// it contains a path separator; otherwise it is looked up on PATH.

func clusterFileRefs(c *clientcmdv1.Cluster) []*string {
	return []*string{&c.CertificateAuthority}
}

func userFileRefs(u *clientcmdv1.AuthInfo) []*string {
	refs := []*string{&u.ClientCertificate, &u.ClientKey, &u.TokenFile}
	if u.Exec != nil && strings.ContainsRune(u.Exec.Command, filepath.Separator) {
		refs = append(refs, &u.Exec.Command)
	}
	return refs
}

// resolvePaths makes every file reference in the entries absolute, so that
// the entries still work after they move to a file elsewhere. Relative
// references are taken against dir; "~/" against the home directory, which
// is what the person who wrote it meant (kubectl itself would look for a
// directory named "~").
func resolvePaths(cfg *clientcmdv1.Config, dir string) error {
	for i := range cfg.Clusters {
		if err := resolveRefs(clusterFileRefs(&cfg.Clusters[i].Cluster), dir); err != nil {
			return err
		}
	}
	for i := range cfg.AuthInfos {
		if err := resolveRefs(userFileRefs(&cfg.AuthInfos[i].AuthInfo), dir); err != nil {
			return err
		}
	}
	return nil
}

func resolveRefs(refs []*string, dir string) error {
	for _, ref := range refs {
		if *ref == "" {
			continue
		}
		p, err := expandHome(*ref)
		if err != nil {
			return err
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		*ref = p
	}
	return nil
}

// LoadingPaths are the files kubectl reads, in order, by client-go's
// default loading rules: the --kubeconfig file (explicit) alone when
// given; else the files of $KUBECONFIG, each once, without the empty
// entries a list such as "a::b" yields; else ~/.kube/config.
func LoadingPaths(explicit string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	list := os.Getenv("KUBECONFIG")
	if list == "" {
		return []string{filepath.Join(homedir.HomeDir(), ".kube", "config")}
	}
	var paths []string
	seen := map[string]bool{}
	for _, p := range filepath.SplitList(list) {
		if p != "" && !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	return paths
}
