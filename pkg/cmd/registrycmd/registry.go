// Package registrycmd is `kubectl tenant registry`.
package registrycmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/cmd/cmdutil"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/registry"
	regspec "github.com/kubectl-tenant/kubectl-tenant/pkg/registry/spec"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

var registryLong = templates.LongDesc(`
	Work with where tenant records are kept. The registry is the file
	${XDG_CONFIG_HOME:-~/.config}/kubectl-tenant/tenants.yaml unless --registry,
	$KUBECTL_TENANT_REGISTRY or the config file
	(${XDG_CONFIG_HOME:-~/.config}/kubectl-tenant/config.yaml, "registry: cluster:CONTEXT")
	names another: a file (file:PATH) or the Tenant objects of a management
	cluster (cluster, or cluster:CONTEXT), installed there by 'kubectl tenant init'.`)

var migrateLong = templates.LongDesc(`
	Copy every tenant record of the registry in force (--registry, the
	environment, the config file, or the default file) into another registry.
	A record the target lacks is copied with its status; one it holds
	already, the same, is left alone; one it holds that differs is not
	overwritten, and is named, and the command exits non-zero. Nothing is
	removed from the source, so running it again is safe and changes nothing.
	With --dry-run (client or server) it reads both registries and writes to
	neither.`)

var migrateExample = templates.Examples(`
	# Move the file registry into the management cluster (after kubectl tenant init there)
	kubectl tenant registry migrate --to cluster:management --dry-run=client
	kubectl tenant registry migrate --to cluster:management

	# Then use it by default
	mkdir -p ~/.config/kubectl-tenant && echo 'registry: cluster:management' > ~/.config/kubectl-tenant/config.yaml`)

// NewCmdRegistry makes `kubectl tenant registry`.
func NewCmdRegistry(registryFlag *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Short: "Work with where tenant records are kept", Long: registryLong, Example: migrateExample}
	cmd.AddCommand(NewCmdMigrate(registryFlag, streams))
	return cmd
}

// MigrateOptions are the options of `registry migrate`.
type MigrateOptions struct {
	genericiooptions.IOStreams
	To string

	registryFlag *registry.Flag
	dryRun       cmdutil.DryRunStrategy
	from, to     tenant.Registry
}

// NewCmdMigrate makes `kubectl tenant registry migrate`.
func NewCmdMigrate(registryFlag *registry.Flag, streams genericiooptions.IOStreams) *cobra.Command {
	o := &MigrateOptions{IOStreams: streams, registryFlag: registryFlag}
	cmd := &cobra.Command{
		Use:          "migrate --to cluster[:CONTEXT]|file:PATH",
		Short:        "Copy every tenant record into another registry, losing nothing",
		Long:         migrateLong,
		Example:      migrateExample,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE:         cmdutil.RunE(o),
	}
	cmd.Flags().StringVar(&o.To, "to", "", "The registry to copy into: "+registry.Usage)
	cmdutil.AddDryRunFlag(cmd)
	return cmd
}

// Complete opens both registries (no call yet).
func (o *MigrateOptions) Complete(cmd *cobra.Command, _ []string) error {
	var err error
	if o.dryRun, err = cmdutil.GetDryRunStrategy(cmd); err != nil {
		return err
	}
	if o.To == "" {
		return fmt.Errorf("--to is required: %s", registry.Usage)
	}
	if err := regspec.CheckSpec(o.To); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if o.from, err = o.registryFlag.Open(); err != nil {
		return err
	}
	o.to, err = o.registryFlag.With(o.To).Open()
	return err
}

// Run copies what the target lacks. A dry run, client or server, reads
// both registries, says what it would do, and writes to neither.
func (o *MigrateOptions) Run(ctx context.Context) error {
	records, err := o.from.List(ctx)
	if err != nil {
		return err
	}
	existing, err := o.to.List(ctx)
	if err != nil {
		return err
	}
	inTarget := map[string]*tenant.Tenant{}
	for i := range existing {
		inTarget[existing[i].Name] = &existing[i]
	}
	suffix := ""
	if o.dryRun != cmdutil.DryRunNone {
		suffix = " (dry run)"
	}
	var differ []string
	copied, same := 0, 0
	for i := range records {
		rec := &records[i]
		there, found := inTarget[rec.Name]
		switch {
		case !found:
			if o.dryRun == cmdutil.DryRunNone {
				// Create, not Put: a record someone made in the target since
				// it was listed is theirs, and is not replaced.
				err := o.to.Create(ctx, rec)
				if errors.Is(err, tenant.ErrExists) {
					differ = append(differ, rec.Name)
					fmt.Fprintf(o.Out, "%s was created in the target meanwhile: left as it is there\n", tenant.ObjectName(rec.Name))
					continue
				}
				if err != nil {
					return fmt.Errorf("copying tenant %q: %w (%d copied before it)", rec.Name, err, copied)
				}
			}
			copied++
			fmt.Fprintf(o.Out, "%s copied%s\n", tenant.ObjectName(rec.Name), suffix)
		case sameRecord(rec, there):
			same++
			fmt.Fprintf(o.Out, "%s unchanged\n", tenant.ObjectName(rec.Name))
		default:
			differ = append(differ, rec.Name)
			fmt.Fprintf(o.Out, "%s differs in the target: left as it is there\n", tenant.ObjectName(rec.Name))
		}
	}
	fmt.Fprintf(o.ErrOut, "%d tenant(s) copied%s, %d already there, %d differing\n", copied, suffix, same, len(differ))
	if len(differ) > 0 {
		return fmt.Errorf("the target holds other records of %v: compare them ('kubectl tenant get NAME -o yaml' with each --registry), then delete the one to replace and run migrate again", differ)
	}
	return nil
}

// sameRecord reports whether two records hold the same spec and status.
func sameRecord(a, b *tenant.Tenant) bool {
	return sameJSON(a.Spec, b.Spec) && sameJSON(a.Status, b.Status)
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
