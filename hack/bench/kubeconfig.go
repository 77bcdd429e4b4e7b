package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	benchFiles      = 1000
	contextsPerFile = 5
)

// benchKubeconfig: merge 1,000 kubeconfig files (5,000 contexts) into one
// and extract one flattened context from it, against kubectl reading the
// same files as a KUBECONFIG list with `config view --flatten`.
func benchKubeconfig(r *report, bin, kubectl, dir string, runs int) error {
	files, err := generateKubeconfigs(filepath.Join(dir, "in"))
	if err != nil {
		return err
	}
	list := "KUBECONFIG=" + strings.Join(files, string(os.PathListSeparator))
	merged := filepath.Join(dir, "merged.yaml")
	target := fmt.Sprintf("ctx-%d-%d", benchFiles/2, 1) // its CA is a file: extraction must inline it

	removeMerged := func() error {
		for _, p := range []string{merged, merged + ".kubectl-tenant.bak"} {
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		return nil
	}
	merge, err := measure(runs, removeMerged, bin, append([]string{"contexts", "merge", "--into", merged}, files...), nil)
	if err != nil {
		return err
	}
	extract, err := measure(runs, nil, bin, []string{"--kubeconfig", merged, "contexts", "extract", target}, nil)
	if err != nil {
		return err
	}
	anchor, err := measure(runs, nil, kubectl, []string{"config", "view", "--flatten"}, []string{list})
	if err != nil {
		return err
	}
	mergeRSS, err := peakRSS(3, removeMerged, bin, append([]string{"contexts", "merge", "--into", merged}, files...), nil)
	if err != nil {
		return err
	}
	extractRSS, err := peakRSS(3, nil, bin, []string{"--kubeconfig", merged, "contexts", "extract", target}, nil)
	if err != nil {
		return err
	}
	anchorRSS, err := peakRSS(1, nil, kubectl, []string{"config", "view", "--flatten"}, []string{list})
	if err != nil {
		return err
	}
	r.ratio(fmt.Sprintf("merge %d files (%d contexts) + extract 1 flattened", benchFiles, benchFiles*contextsPerFile),
		merge.wall+extract.wall, anchor.wall, "kubectl config view --flatten", 3)
	r.limit("peak memory, merge", mergeRSS, 64<<20, "MiB", 1<<20)
	r.limit("peak memory, extract", extractRSS, 64<<20, "MiB", 1<<20)
	r.info("  of which merge / extract", ms(merge.wall)+" / "+ms(extract.wall), fmt.Sprintf("%d MiB peak (kubectl)", anchorRSS>>20), "")

	// The same extraction straight from the KUBECONFIG list, against
	// kubectl's minify+flatten of that one context.
	ours, err := measure(runs, nil, bin, []string{"contexts", "extract", target}, []string{list})
	if err != nil {
		return err
	}
	theirs, err := measure(runs, nil, kubectl, []string{"config", "view", "--minify", "--flatten", "--context", target}, []string{list})
	if err != nil {
		return err
	}
	r.ratio("extract 1 context from a 1,000-file KUBECONFIG", ours.wall, theirs.wall, "kubectl config view --minify --flatten", 2)
	return nil
}

// generateKubeconfigs writes files shaped like real ones: half the
// clusters reference a CA file by a relative path, half carry it inline;
// users carry client certificates, tokens or exec plugins.
func generateKubeconfigs(dir string) ([]string, error) {
	pem := fakePEM()
	data := base64.StdEncoding.EncodeToString([]byte(pem))
	var paths []string
	for i := range benchFiles {
		d := filepath.Join(dir, fmt.Sprintf("team-%04d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d, "ca.crt"), []byte(pem), 0o600); err != nil {
			return nil, err
		}
		var b strings.Builder
		b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n")
		for j := range contextsPerFile {
			fmt.Fprintf(&b, "- name: cluster-%d-%d\n  cluster:\n    server: https://%d-%d.example.com:6443\n", i, j, i, j)
			if j%2 == 1 {
				b.WriteString("    certificate-authority: ca.crt\n")
			} else {
				fmt.Fprintf(&b, "    certificate-authority-data: %s\n", data)
			}
		}
		b.WriteString("users:\n")
		for j := range contextsPerFile {
			fmt.Fprintf(&b, "- name: user-%d-%d\n  user:\n", i, j)
			switch j % 3 {
			case 0:
				fmt.Fprintf(&b, "    client-certificate-data: %s\n    client-key-data: %s\n", data, data)
			case 1:
				fmt.Fprintf(&b, "    token: token-%d-%d-abcdefghijklmnopqrstuvwxyz0123456789\n", i, j)
			default:
				fmt.Fprintf(&b, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubectl-tenant\n      args: [token, team-%d]\n      interactiveMode: Never\n", i)
			}
		}
		b.WriteString("contexts:\n")
		for j := range contextsPerFile {
			fmt.Fprintf(&b, "- name: ctx-%d-%d\n  context:\n    cluster: cluster-%d-%d\n    user: user-%d-%d\n    namespace: ns-%d\n", i, j, i, j, i, j, j)
		}
		fmt.Fprintf(&b, "current-context: ctx-%d-0\n", i)
		p := filepath.Join(d, "config")
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// fakePEM is certificate-shaped text of a real certificate's size.
func fakePEM() string {
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	line := strings.Repeat("MIIDBTCCAe2gAwIBAgIIU", 4)[:64]
	for range 17 {
		b.WriteString(line + "\n")
	}
	b.WriteString("-----END CERTIFICATE-----\n")
	return b.String()
}
