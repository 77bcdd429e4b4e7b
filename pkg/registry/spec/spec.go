// Package spec names the registry a command keeps tenant records in, from
// the --registry flag, $KUBECTL_TENANT_REGISTRY and the config file,
// without reaching it: what every binary of the plugin that reads the
// registry shares, the reader's lean path included.
package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Env names the environment variable that selects the registry when the
// flag does not.
const Env = "KUBECTL_TENANT_REGISTRY"

// Usage says what a registry value may be, for flags and errors.
const Usage = "file:PATH (or a PATH with a / or ending in .yaml), cluster (the cluster of --context, else of the current context) or cluster:CONTEXT"

// Config is the config file, ${XDG_CONFIG_HOME:-~/.config}/kubectl-tenant/config.yaml.
type Config struct {
	// Registry is the registry when neither the flag nor the environment
	// names one.
	Registry string `json:"registry,omitempty"`
}

// Resolve is the registry spec in force: the flag's value, else
// $KUBECTL_TENANT_REGISTRY, else the config file's registry, else the
// default file.
func Resolve(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if v := os.Getenv(Env); v != "" {
		return v, nil
	}
	path, err := ConfigPath()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var c Config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return c.Registry, nil
}

// ConfigPath is where the config file is.
func ConfigPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the config file: %w; set XDG_CONFIG_HOME or %s", err, Env)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kubectl-tenant", "config.yaml"), nil
}

// CheckSpec refuses a bare word that has neither form: "clustr" would
// otherwise be a file of that name in the working directory, and a typo
// would quietly start a second registry. A bare path names a directory
// or ends in .yaml or .yml.
func CheckSpec(spec string) error {
	switch {
	case spec == "", spec == "cluster", strings.HasPrefix(spec, "cluster:"), strings.HasPrefix(spec, "file:"),
		strings.ContainsAny(spec, `/`+string(filepath.Separator)), filepath.Ext(spec) == ".yaml", filepath.Ext(spec) == ".yml":
		return nil
	}
	return fmt.Errorf("registry %q is neither a cluster nor a file: use %s", spec, Usage)
}

// Parse splits a registry spec into its kind, file or cluster, and where:
// the file's path ("" for the default file) or the context ("" for the
// current one).
func Parse(spec string) (kind, where string) {
	switch {
	case spec == "cluster":
		return "cluster", ""
	case strings.HasPrefix(spec, "cluster:"):
		return "cluster", strings.TrimPrefix(spec, "cluster:")
	case strings.HasPrefix(spec, "file:"):
		return "file", strings.TrimPrefix(spec, "file:")
	}
	return "file", spec
}
