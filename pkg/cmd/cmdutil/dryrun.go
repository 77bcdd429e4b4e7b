package cmdutil

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/klog/v2"
)

// kubectl's --dry-run and -f flags, as k8s.io/kubectl/pkg/cmd/util defines
// them: the same names, values, usage, warnings and errors. They are
// written here because that package links kubectl's whole scheme, its
// OpenAPI and protobuf models and its translations, about a sixth of
// every command's start, for these few lines.

// DryRunStrategy is what --dry-run asks for.
type DryRunStrategy int

const (
	// DryRunNone makes every change.
	DryRunNone DryRunStrategy = iota
	// DryRunClient makes no change and sends no mutating request.
	DryRunClient
	// DryRunServer sends mutating requests with dryRun=All, which the
	// apiserver checks and does not persist.
	DryRunServer
)

// AddDryRunFlag adds kubectl's --dry-run flag.
func AddDryRunFlag(cmd *cobra.Command) {
	cmd.Flags().String(
		"dry-run",
		"none",
		`Must be "none", "server", or "client". If client strategy, only print the object that would be sent, without sending it. If server strategy, submit server-side request without persisting the resource.`,
	)
	cmd.Flags().Lookup("dry-run").NoOptDefVal = "unchanged"
}

// GetDryRunStrategy reads --dry-run as kubectl does, with its warnings
// for the deprecated spellings (a bare --dry-run, a boolean).
func GetDryRunStrategy(cmd *cobra.Command) (DryRunStrategy, error) {
	value, err := cmd.Flags().GetString("dry-run")
	if err != nil {
		return DryRunNone, err
	}
	b, err := strconv.ParseBool(value)
	if err != nil {
		switch value {
		case cmd.Flag("dry-run").NoOptDefVal:
			klog.Warning(`--dry-run is deprecated and can be replaced with --dry-run=client.`)
			return DryRunClient, nil
		case "client":
			return DryRunClient, nil
		case "server":
			return DryRunServer, nil
		case "none":
			return DryRunNone, nil
		}
		//lint:ignore ST1005 kubectl's own message, word for word
		return DryRunNone, fmt.Errorf(`Invalid dry-run value (%v). Must be "none", "server", or "client".`, value)
	}
	if b {
		klog.Warningf(`--dry-run=%v is deprecated (boolean value) and can be replaced with --dry-run=%s.`, value, "client")
		return DryRunClient, nil
	}
	klog.Warningf(`--dry-run=%v is deprecated (boolean value) and can be replaced with --dry-run=%s.`, value, "none")
	return DryRunNone, nil
}

// AddFilenameFlag adds kubectl's -f/--filename flag, with shell
// completion of the files it reads.
func AddFilenameFlag(flags *pflag.FlagSet, value *[]string, usage string) {
	flags.StringSliceVarP(value, "filename", "f", *value, usage)
	exts := make([]string, 0, len(resource.FileExtensions))
	for _, ext := range resource.FileExtensions {
		exts = append(exts, strings.TrimLeft(ext, "."))
	}
	_ = flags.SetAnnotation("filename", cobra.BashCompFilenameExt, exts)
}
