// Package version is `kubectl tenant version`.
package version

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/version"
)

var versionLong = templates.LongDesc(`
	Print the version of kubectl-tenant, the commit it was built from, the
	build date, and the Go version and platform.`)

var versionExample = templates.Examples(`
	# As a line
	kubectl tenant version

	# As JSON, for a script
	kubectl tenant version -o json`)

// Options are the version command's options.
type Options struct {
	genericiooptions.IOStreams
	Output string
}

// NewCmdVersion makes `kubectl tenant version`.
func NewCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams}
	cmd := &cobra.Command{
		Use:          "version",
		Short:        "Print the version of kubectl-tenant",
		Long:         versionLong,
		Example:      versionExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: json or yaml")
	return cmd
}

// Complete has nothing to resolve: the version is built in.
func (o *Options) Complete(*cobra.Command, []string) error { return nil }

// Validate checks the output format.
func (o *Options) Validate() error {
	switch o.Output {
	case "", "json", "yaml":
		return nil
	}
	return fmt.Errorf("--output %q is not supported: use json or yaml", o.Output)
}

// Run prints the version.
func (o *Options) Run(context.Context) error {
	info := version.Get()
	switch o.Output {
	case "json":
		data, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Out, "%s\n", data)
		return err
	case "yaml":
		data, err := yaml.Marshal(info)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(data)
		return err
	}
	_, err := fmt.Fprintf(o.Out, "kubectl-tenant %s (commit %s, built %s, %s %s)\n",
		info.Version, orUnknown(info.Commit), orUnknown(info.Date), info.GoVersion, info.Platform)
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
