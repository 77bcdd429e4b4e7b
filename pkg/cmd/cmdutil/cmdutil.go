// Package cmdutil holds what kubectl-tenant's commands share that is only
// about flags and printing: the subject flags, tenant-name completion,
// output flags, and turning a domain error's field into the flag the user
// gave. What commands share beyond that lives in the domain packages.
package cmdutil

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// AddSubjectFlags adds the flags that name one subject of a grant.
func AddSubjectFlags(cmd *cobra.Command, f *tenant.SubjectFlags) {
	cmd.Flags().StringVar(&f.ServiceAccount, "serviceaccount", "", "A ServiceAccount, NAME (in the tenant's first namespace) or NAMESPACE:NAME")
	cmd.Flags().StringVar(&f.User, "user", "", "A user name, as the cluster authenticates it")
	cmd.Flags().StringVar(&f.Group, "group", "", "A group name, as the cluster authenticates it")
	cmd.Flags().StringVar(&f.IAMRole, "iam-role", "", "An IAM role ARN (EKS, or a cluster with aws-iam-authenticator)")
	cmd.Flags().StringVar(&f.IAMUser, "iam-user", "", "An IAM user ARN (EKS, or a cluster with aws-iam-authenticator)")
}

// AddNoHeadersFlag adds kubectl's --no-headers for a command that prints a
// table.
func AddNoHeadersFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "no-headers", false, "When using the default output format, don't print headers.")
}

// OutputFile is where a command that writes a kubeconfig puts it:
// --output-file, or -o FILE, which earlier releases taught and which is
// kept for one release with a warning.
type OutputFile struct {
	Path string
}

// AddFlag adds --output-file.
func (f *OutputFile) AddFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.Path, "output-file", "", "Write the kubeconfig to this file (mode 0600, atomically, keeping the previous content in FILE.bak)")
}

// Resolve takes a deprecated -o FILE: an --output value that is none of
// the formats is a file name, with a warning on errOut. It returns the
// output format left to print with.
func (f *OutputFile) Resolve(format string, formats []string, errOut io.Writer) (string, error) {
	if format == "" || slices.Contains(formats, format) || strings.Contains(format, "=") {
		return format, nil
	}
	if f.Path != "" {
		return "", fmt.Errorf("--output %q is not a format (%s), and --output-file is given", format, strings.Join(formats, ", "))
	}
	fmt.Fprintf(errOut, "warning: -o FILE is deprecated and will be removed in the next release; use --output-file %s\n", format)
	f.Path = format
	return "", nil
}

// NewKubeconfigPrintFlags are the -o flags of a command that prints a
// kubeconfig: yaml (the default, as kubectl writes kubeconfigs) or json.
func NewKubeconfigPrintFlags() *genericclioptions.PrintFlags {
	format := "yaml"
	return &genericclioptions.PrintFlags{JSONYamlPrintFlags: genericclioptions.NewJSONYamlPrintFlags(), OutputFormat: &format}
}

// PrintKubeconfig prints cfg in format: YAML through the kubeconfig
// engine's encoder (the bytes it would write to a file), anything else
// through flags' printer.
func PrintKubeconfig(w io.Writer, flags *genericclioptions.PrintFlags, format string, cfg *clientcmdv1.Config) error {
	if format == "" || format == "yaml" {
		return kubeconfig.EncodeTo(w, cfg)
	}
	p, err := flags.ToPrinter()
	if err != nil {
		return err
	}
	return p.PrintObj(cfg, w)
}

// TenantPrinter is flags' printer for tenant records, except that -o name
// prints tenant.tenancy.kubectl-tenant.io/NAME for a tenant and for each
// tenant of a list: what kubectl get tenants -o name and apply print, and
// what get accepts back.
func TenantPrinter(flags *genericclioptions.PrintFlags) (printers.ResourcePrinter, error) {
	if *flags.OutputFormat != "name" {
		return flags.ToPrinter()
	}
	return printers.ResourcePrinterFunc(func(obj runtime.Object, w io.Writer) error {
		var items []tenant.Tenant
		switch o := obj.(type) {
		case *tenant.Tenant:
			items = []tenant.Tenant{*o}
		case *tenant.List:
			items = o.Items
		default:
			return fmt.Errorf("not a tenant record: %T", obj)
		}
		for _, t := range items {
			if _, err := fmt.Fprintf(w, "%s\n", tenant.ObjectName(t.Name)); err != nil {
				return err
			}
		}
		return nil
	}), nil
}

// Options are what every command's options implement, in kubectl's
// pattern: Complete resolves defaults, the registry and clients from the
// flags and arguments; Validate (when there is anything to check) checks
// fields and makes no call; Run acts.
type Options interface {
	Complete(cmd *cobra.Command, args []string) error
	Run(ctx context.Context) error
}

// RunE runs o's Complete, Validate and Run, in that order, as a cobra
// command's RunE.
func RunE(o Options) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(cmd, args); err != nil {
			return err
		}
		if v, ok := o.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return err
			}
		}
		return o.Run(cmd.Context())
	}
}

// Target is what a command on one tenant resolves first.
type Target struct {
	Registry tenant.Registry
	Tenant   *tenant.Tenant
	// DryRun is kubectl's --dry-run strategy; DryRunNone for a command
	// without the flag.
	DryRun DryRunStrategy
}

// OpenTarget reads the dry-run strategy, then the tenant name in the
// registry.
func OpenTarget(cmd *cobra.Command, registryPath *registry.Flag, name string) (Target, error) {
	var t Target
	var err error
	if cmd.Flags().Lookup("dry-run") != nil {
		if t.DryRun, err = GetDryRunStrategy(cmd); err != nil {
			return t, err
		}
	}
	t.Registry, t.Tenant, err = registryPath.OpenTenant(cmd.Context(), name)
	return t, err
}

// CanonicalSubject is s in the form that authenticates (a role ARN without
// its path), telling the user on errOut when it rewrites one.
func CanonicalSubject(s tenant.Subject, errOut io.Writer) tenant.Subject {
	c, changed := s.Canonical()
	if changed {
		fmt.Fprintf(errOut, "using %s for %s: IAM authenticates a role without its path, so a mapping with the path would never match\n", c.Name, s.Name)
	}
	return c
}

// ManagementCluster connects to the management cluster of Cluster API
// tenants: the context named, else the cluster registry's (flag says
// which flag names it, for the error when there is neither).
func ManagementCluster(getter genericclioptions.RESTClientGetter, registryPath *registry.Flag, kubeContext, flag string) (*cluster.Connection, error) {
	if kubeContext == "" {
		where, ok, err := registryPath.ClusterContext()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: name the kubeconfig context of the management cluster that runs CAPA (or keep tenants in a cluster registry there: --registry cluster:CONTEXT)", flag)
		}
		kubeContext = where
	}
	return cluster.Connect(getter, kubeContext)
}

// FlagNames names a command's flags in place of the record fields they
// set, in a validation error of the record's list (spec.LIST[i].FIELD):
// flags maps each field to its flag.
func FlagNames(msg, list string, flags map[string]string) string {
	re := regexp.MustCompile(`spec\.` + regexp.QuoteMeta(list) + `\[\d+\]\.(\w+)(\[\d+\])?`)
	return re.ReplaceAllStringFunc(msg, func(f string) string {
		if flag, ok := flags[re.FindStringSubmatch(f)[1]]; ok {
			return flag
		}
		return f
	})
}

// PlanPrinter is the printer -o asks for of a command that prints a plan
// (nil when -o is not given); what names the plan in the refusal of -o
// name.
func PlanPrinter(flags *genericclioptions.PrintFlags, what string) (printers.ResourcePrinter, error) {
	switch *flags.OutputFormat {
	case "":
		return nil, nil
	case "name":
		return nil, fmt.Errorf("--output name: %s has no name; use json, yaml, jsonpath or go-template", what)
	}
	return flags.ToPrinter()
}
