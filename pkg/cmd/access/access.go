// Package access is `kubectl tenant access`.
package access

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/kubectl/pkg/util/templates"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/grant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var accessLong = templates.LongDesc(`
	Show who can do what in a tenant, read from the cluster: every RoleBinding
	in the tenant's namespaces, whoever made it, and the tenant's cluster-wide
	bindings. A role marked * is bound by someone other than kubectl-tenant; one
	marked ! is granted in the registry but not bound in the cluster.

	--verify asks the API server (SubjectAccessReview) a fixed set of
	questions for every subject in every namespace (get pods, list configmaps,
	create pods, delete deployments, get secrets, create rolebindings) and
	reports each answer that differs from what the tenant's grants allow: a
	binding edited or removed by hand, or access coming from elsewhere. It
	exits non-zero when it finds any.`)

var accessExample = templates.Examples(`
	# The access matrix of tenant acme
	kubectl tenant access acme

	# Check it against the API server, as in a CI job
	kubectl tenant access acme --verify`)

// Options are the options of `access`.
type Options struct {
	genericiooptions.IOStreams
	getter       genericclioptions.RESTClientGetter
	registryPath *string

	Tenant string
	Verify bool
	Output string
}

// NewCmdAccess makes `kubectl tenant access`.
func NewCmdAccess(getter genericclioptions.RESTClientGetter, registryPath *string, streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams, getter: getter, registryPath: registryPath}
	cmd := &cobra.Command{
		Use:          "access TENANT [--verify] [-o json|yaml]",
		Short:        "Show who can do what in a tenant, and verify it",
		Long:         accessLong,
		Example:      accessExample,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Tenant = args[0]
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&o.Verify, "verify", false, "Check each subject's access with the API server")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: json or yaml (default: a table)")
	return cmd
}

// report is the -o json|yaml document.
type report struct {
	Matrix *access.Matrix       `json:"matrix"`
	Verify *access.Verification `json:"verify,omitempty"`
}

// Run reads, verifies if asked, and prints.
func (o *Options) Run(ctx context.Context) error {
	switch o.Output {
	case "", "json", "yaml":
	default:
		return fmt.Errorf("--output %q is not supported: use json or yaml", o.Output)
	}
	_, t, err := tenant.Open(ctx, *o.registryPath, o.Tenant)
	if err != nil {
		return err
	}
	conn, err := cluster.Connect(o.getter, t.Spec.Cluster.Context)
	if err != nil {
		return err
	}
	m, err := access.Read(ctx, conn.Client, t)
	if err != nil {
		return grant.Unreachable(t, err)
	}
	var v *access.Verification
	if o.Verify {
		if v, err = access.Verify(ctx, conn.Client, t, m); err != nil {
			return err
		}
	}

	switch o.Output {
	case "json":
		data, err := json.MarshalIndent(report{Matrix: m, Verify: v}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "%s\n", data)
	case "yaml":
		data, err := yaml.Marshal(report{Matrix: m, Verify: v})
		if err != nil {
			return err
		}
		o.Out.Write(data)
	default:
		if err := o.printTable(m); err != nil {
			return err
		}
		if v != nil {
			for _, f := range v.Findings {
				fmt.Fprintln(o.Out, "DRIFT: "+f.String())
			}
		}
	}
	if v != nil {
		if len(v.Findings) > 0 {
			return fmt.Errorf("%d of %d access checks differ from tenant %q's grants", len(v.Findings), v.Checks, t.Name)
		}
		fmt.Fprintf(o.ErrOut, "verified: all %d access checks match tenant %q's grants\n", v.Checks, t.Name)
	}
	return nil
}

func (o *Options) printTable(m *access.Matrix) error {
	columns := append([]string(nil), m.Namespaces...)
	for _, r := range m.Rows {
		if len(r.Access[access.ClusterWide]) > 0 || len(r.Missing[access.ClusterWide]) > 0 {
			columns = append(columns, access.ClusterWide)
			break
		}
	}
	w := printers.GetNewTabWriter(o.Out)
	header := []string{"SUBJECT"}
	for _, c := range columns {
		if c == access.ClusterWide {
			c = "CLUSTER"
		}
		header = append(header, strings.ToUpper(c))
	}
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range m.Rows {
		line := []string{access.SubjectString(r.Subject)}
		for _, c := range columns {
			var roles []string
			for _, b := range r.Access[c] {
				role := b.Role
				if !b.Managed {
					role += "*"
				}
				roles = append(roles, role)
			}
			for _, missing := range r.Missing[c] {
				roles = append(roles, "!"+missing)
			}
			if len(roles) == 0 {
				roles = []string{"-"}
			}
			line = append(line, strings.Join(roles, ","))
		}
		fmt.Fprintln(w, strings.Join(line, "\t"))
	}
	return w.Flush()
}
