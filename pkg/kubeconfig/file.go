package kubeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// File is one kubeconfig file: where it lives and what it holds.
type File struct {
	// Path is the file's absolute path as the user named it (not resolved
	// through symbolic links, so that the lock name matches client-go's).
	Path string
	// Config is the content. It is never nil.
	Config *clientcmdv1.Config
	// Exists reports whether the file was on disk when it was read.
	Exists bool

	// lazy is set when the file's clusters and users were decoded by name
	// only (ReadSetToExtract); such a file is never written.
	lazy *lazyLists
}

// lazyLists holds what is needed to decode a lazily read file's clusters
// and users in full, and which ones have been.
type lazyLists struct {
	doc                   *splitDoc
	clusterFull, userFull []bool
}

// ReadFile reads and parses a kubeconfig file. A missing file is an empty
// config (as kubectl treats it), not an error, so that a first write can
// create it.
func ReadFile(path string) (*File, error) { return readFile(path, false) }

func readFile(path string, lazy bool) (*File, error) {
	abs, err := AbsPath(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: abs, Config: newConfig()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	cfg, doc, err := parse(abs, data, lazy)
	if err != nil {
		return nil, err
	}
	f := &File{Path: abs, Config: cfg, Exists: true}
	if doc != nil {
		f.lazy = &lazyLists{doc: doc}
		if _, split := doc.lists["clusters"]; split {
			f.lazy.clusterFull = make([]bool, len(cfg.Clusters))
		}
		if _, split := doc.lists["users"]; split {
			f.lazy.userFull = make([]bool, len(cfg.AuthInfos))
		}
	}
	return f, nil
}

// Parse decodes kubeconfig YAML or JSON. name labels errors; it is usually
// the file's path. An empty document is an empty config.
func Parse(name string, data []byte) (*clientcmdv1.Config, error) {
	cfg, _, err := parse(name, data, false)
	return cfg, err
}

// parse decodes a document. With lazy, a large file's clusters and users
// are decoded by name only and the returned splitDoc decodes them later.
func parse(name string, data []byte, lazy bool) (*clientcmdv1.Config, *splitDoc, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return newConfig(), nil, nil
	}
	var cfg *clientcmdv1.Config
	var doc *splitDoc
	if d, ok := splitDocument(data); ok && d.decode(lazy) {
		cfg = d.cfg
		if lazy {
			doc = d
		}
	}
	if cfg == nil {
		cfg = newConfig()
		if err := yaml.Unmarshal(data, cfg); err != nil {
			return nil, nil, &ParseError{File: name, Err: plainYAMLError(err)}
		}
	}
	if cfg.Kind != "" && cfg.Kind != "Config" {
		return nil, nil, &ParseError{File: name, Err: fmt.Errorf("kind is %q, want Config", cfg.Kind)}
	}
	if err := checkNames(cfg); err != nil {
		return nil, nil, &ParseError{File: name, Err: err}
	}
	return cfg, doc, nil
}

// ParseError is a kubeconfig that does not decode. Err carries the
// parser's message, which names the line where the YAML parser knows it.
type ParseError struct {
	File string
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("kubeconfig %s is not valid: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// plainYAMLError drops the conversion step sigs.k8s.io/yaml names, so that
// the message starts with what is wrong and where ("yaml: line 3: ...").
func plainYAMLError(err error) error {
	const noise = "error converting YAML to JSON: "
	if msg := err.Error(); strings.HasPrefix(msg, noise) {
		return errors.New(strings.TrimPrefix(msg, noise))
	}
	return err
}

// checkNames rejects unnamed and duplicate entries: kubectl silently keeps
// the last of two same-named entries in one file, which hides a mistake
// that a merge would then spread.
func checkNames(cfg *clientcmdv1.Config) error {
	check := func(kind string, names []string) error {
		seen := make(map[string]bool, len(names))
		for i, n := range names {
			if n == "" {
				return fmt.Errorf("%s[%d] has no name", kind, i)
			}
			if seen[n] {
				return fmt.Errorf("%s %q is defined twice", kind, n)
			}
			seen[n] = true
		}
		return nil
	}
	if err := check("clusters", clusterNames(cfg)); err != nil {
		return err
	}
	if err := check("users", userNames(cfg)); err != nil {
		return err
	}
	return check("contexts", contextNames(cfg))
}

func newConfig() *clientcmdv1.Config {
	return &clientcmdv1.Config{APIVersion: "v1", Kind: "Config"}
}

// AbsPath expands a leading "~/" to the home directory and makes the path
// absolute.
func AbsPath(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty kubeconfig path")
	}
	expanded, err := expandHome(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(expanded)
}

func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~"+string(filepath.Separator)) {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expanding %q: %w", path, err)
	}
	return filepath.Join(home, path[1:]), nil
}

func clusterNames(cfg *clientcmdv1.Config) []string {
	names := make([]string, len(cfg.Clusters))
	for i := range cfg.Clusters {
		names[i] = cfg.Clusters[i].Name
	}
	return names
}

func userNames(cfg *clientcmdv1.Config) []string {
	names := make([]string, len(cfg.AuthInfos))
	for i := range cfg.AuthInfos {
		names[i] = cfg.AuthInfos[i].Name
	}
	return names
}

func contextNames(cfg *clientcmdv1.Config) []string {
	names := make([]string, len(cfg.Contexts))
	for i := range cfg.Contexts {
		names[i] = cfg.Contexts[i].Name
	}
	return names
}
