// Package reader answers the everyday read commands without the full
// command's start: `contexts list`, `contexts extract`, `list` without
// its live columns, `get`, and shell completion of tenant names, contexts
// and a tenant's namespaces, from the kubeconfig files and the file
// registry. It also runs `contexts merge`, the one command here that
// writes (a kubeconfig file, through the same package and under the same
// locks as the engine), because the engine's own pages alone would take
// a large merge past its memory bound. kubectl-tenant-reader runs it; it
// links none of client-go's clients, the AWS SDK or kubectl's command
// libraries, whose package initialisation is most of the engine's start.
//
// It reads a command line narrowly. Whatever it does not answer as the
// engine would, byte for byte (a flag it does not know, a cluster
// registry, a record that is not there, any error of a read command), it
// declines, having written nothing, and the engine answers instead. A
// merge, once it has read its first input, reports its own error, in the
// engine's words.
package reader

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/answercache"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/kubeconfig"
	regspec "github.com/kubectl-tenant/kubectl-tenant/pkg/registry/spec"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// Serve answers args (the words after `kubectl tenant`) when it can: it
// writes the command's output to stdout and stderr and reports true, with
// the command's error (a merge that failed) or a failure to write. It
// reports false, having written nothing, for any command line it leaves
// to the engine.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	a, ok := Make(ctx, args)
	if !ok {
		return false, nil
	}
	if err := a.Write(stdout, stderr); err != nil {
		return true, err
	}
	return true, a.Err
}

// Answer is a command's output, and the files it was read from.
type Answer struct {
	Stdout, Stderr []byte
	Inputs         answercache.Inputs
	// Keep says whether the front may keep the answer to print again: not
	// one that carries credentials (a flattened kubeconfig), nor a write's.
	Keep bool
	// Err is the command's error, reported after its output as the
	// engine reports it. Only a write has one: a read that fails is left
	// to the engine.
	Err error
}

// Write writes the answer out.
func (a *Answer) Write(stdout, stderr io.Writer) error {
	if _, err := stdout.Write(a.Stdout); err != nil {
		return err
	}
	_, err := stderr.Write(a.Stderr)
	return err
}

// Make answers args, or reports false for a command line it leaves to
// the engine.
func Make(ctx context.Context, args []string) (*Answer, bool) {
	l, ok := parse(args)
	if !ok {
		return nil, false
	}
	var out, errOut bytes.Buffer
	if !l.answer(ctx, &out, &errOut) {
		return nil, false
	}
	return &Answer{Stdout: out.Bytes(), Stderr: errOut.Bytes(), Inputs: l.inputs, Keep: !l.credentials && !l.wrote, Err: l.err}, true
}

// line is a parsed command line.
type line struct {
	words []string // the verb and its arguments
	// complete is set for `__complete`: the last word is the one being
	// completed, and completing names the flag whose value it is, if any.
	complete   bool
	completing string

	kubeconfig, registry, output string
	outputSet                    bool
	into, onConflict, prefix     string
	noHeaders                    bool
	live                         bool
	flags                        map[string]bool // the flags given, by long name

	inputs      answercache.Inputs // the files read
	credentials bool               // the answer carries some
	wrote       bool               // the command wrote (or tried to)
	err         error              // the error of a write
}

// valueFlags are the flags the reader knows that take a value, by long
// name, and boolFlags those that do not; -o is --output. Any other flag
// means the engine answers. rootFlags are those of the root command,
// the only ones cobra knows before the command is named: it takes the
// word after any other flag there as that flag's value.
var (
	valueFlags = map[string]bool{"kubeconfig": true, "registry": true, "output": true, "context": true, "namespace": true, "role": true,
		"into": true, "on-conflict": true, "prefix": true}
	boolFlags = map[string]bool{"no-headers": true, "live": true}
	rootFlags = map[string]bool{"kubeconfig": true, "registry": true, "context": true, "namespace": true}
)

// parse reads a command line as pflag and cobra would, or reports false
// for one it does not read the same way.
func parse(args []string) (*line, bool) {
	l := &line{live: true, onConflict: string(kubeconfig.OnConflictError), flags: map[string]bool{}}
	if len(args) > 0 && (args[0] == "__complete" || args[0] == "__completeNoDesc") {
		l.complete = true
		args = args[1:]
		if len(args) == 0 {
			return nil, false
		}
	}
	last := len(args) - 1
	for i := 0; i < len(args); i++ {
		a := args[i]
		if l.complete && i == last {
			if strings.HasPrefix(a, "-") {
				return nil, false // flag names: cobra's own completion
			}
			l.words = append(l.words, a)
			break
		}
		if !strings.HasPrefix(a, "-") {
			l.words = append(l.words, a)
			continue
		}
		name, value, hasValue, ok := flagParts(a)
		if !ok || !l.commandNamed() && !rootFlags[name] {
			return nil, false
		}
		if boolFlags[name] {
			v := true
			if hasValue {
				var err error
				if v, err = strconv.ParseBool(value); err != nil {
					return nil, false
				}
			}
			l.setBool(name, v)
			continue
		}
		if !valueFlags[name] {
			return nil, false
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, false
			}
			if l.complete && i+1 == last {
				l.completing = name
				l.words = append(l.words, args[last])
				break
			}
			i++
			value = args[i]
		}
		if name == "output" && value == "" {
			return nil, false // -o '': each command's printer takes it its own way
		}
		l.setValue(name, value)
	}
	if len(l.words) == 0 {
		return nil, false
	}
	return l, true
}

// flagParts splits a flag as pflag reads it: --name, --name=value, and
// -o, -oVALUE, -o=VALUE (-o= is the value "="). ok is false for any other
// spelling, and for any other shorthand.
func flagParts(a string) (name, value string, hasValue, ok bool) {
	if long, isLong := strings.CutPrefix(a, "--"); isLong {
		name, value, hasValue = strings.Cut(long, "=")
		return name, value, hasValue, name != "" && !strings.HasPrefix(name, "-")
	}
	rest, isO := strings.CutPrefix(a, "-o")
	switch {
	case !isO:
		return "", "", false, false
	case rest == "":
		return "output", "", false, true
	case len(rest) > 1 && rest[0] == '=':
		return "output", rest[1:], true, true
	}
	return "output", rest, true, true
}

// commandNamed reports whether the words so far name a command rather
// than a group of them (or nothing yet).
func (l *line) commandNamed() bool {
	switch {
	case len(l.words) == 0:
		return false
	case len(l.words) == 1:
		return !slices.Contains(groups, l.words[0])
	}
	return true
}

func (l *line) setBool(name string, v bool) {
	l.flags[name] = true
	switch name {
	case "no-headers":
		l.noHeaders = v
	case "live":
		l.live = v
	}
}

func (l *line) setValue(name, v string) {
	l.flags[name] = true
	switch name {
	case "kubeconfig":
		l.kubeconfig = v
	case "registry":
		l.registry = v
	case "output":
		l.output, l.outputSet = v, true
	case "into":
		l.into = v
	case "on-conflict":
		l.onConflict = v
	case "prefix":
		l.prefix = v
	}
}

// only reports whether every flag given is one of names (the global
// --kubeconfig and --registry always may be).
func (l *line) only(names ...string) bool {
	for f := range l.flags {
		if f != "kubeconfig" && f != "registry" && !slices.Contains(names, f) {
			return false
		}
	}
	return true
}

// answer writes the command's output, or reports false.
func (l *line) answer(ctx context.Context, out, errOut *bytes.Buffer) bool {
	if l.complete {
		return l.answerCompletion(ctx, out, errOut)
	}
	verb, args := l.words[0], l.words[1:]
	switch verb {
	case "contexts":
		if len(args) == 0 {
			return false
		}
		switch args[0] {
		case "list", "ls":
			return len(args) == 1 && l.only("output", "no-headers") && l.contextsList(ctx, out)
		case "extract":
			return l.only("output") && l.contextsExtract(ctx, args[1:], out)
		case "merge":
			return len(args) > 1 && l.only("into", "on-conflict", "prefix") && l.contextsMerge(ctx, args[1:], errOut)
		}
	case "list", "ls":
		return len(args) == 0 && l.only("output", "no-headers", "live") && l.list(ctx, out)
	case "get":
		return len(args) == 1 && l.only("output") && l.get(ctx, args[0], out)
	}
	return false
}

// contextsMerge is `contexts merge` without --dry-run. What the engine
// checks before it reads anything (the policy, the target) is checked
// first, and a failure is left to the engine; from the first read of an
// incoming file on (which may be a pipe, readable once), the outcome and
// any error are the answer.
func (l *line) contextsMerge(ctx context.Context, files []string, errOut *bytes.Buffer) bool {
	policy, err := kubeconfig.ParseConflictPolicy(l.onConflict)
	if err != nil {
		return false
	}
	targets := kubeconfig.LoadingPaths(l.kubeconfig)
	if l.into != "" {
		targets = []string{l.into}
	}
	if len(targets) == 0 {
		return false
	}
	l.wrote = true
	changes, into, n, err := kubeconfig.MergeFiles(ctx, targets, files, kubeconfig.MergeOptions{OnConflict: policy, Prefix: l.prefix}, false)
	if err != nil {
		l.err = err
		return true
	}
	errOut.WriteString(kubeconfig.MergeReport(changes, n, into, false))
	return true
}

// contextsList is `contexts list`: a table, names, or a kubeconfig
// holding only the contexts.
func (l *line) contextsList(ctx context.Context, out *bytes.Buffer) bool {
	var printer printers.ResourcePrinter
	switch l.output {
	case "", "name":
	case "yaml", "json":
		printer = objectPrinter(l.output)
	default:
		return false
	}
	set, ok := l.readKubeconfig(ctx)
	if !ok {
		return false
	}
	contexts, current := set.Contexts(), set.CurrentContext()
	switch {
	case l.output == "name":
		for _, c := range contexts {
			fmt.Fprintln(out, c.Name)
		}
		return true
	case printer != nil:
		obj := &clientcmdv1.Config{APIVersion: "v1", Kind: "Config", Contexts: contexts, CurrentContext: current}
		if obj.Contexts == nil {
			obj.Contexts = []clientcmdv1.NamedContext{}
		}
		return printer.PrintObj(obj, out) == nil
	}
	w := printers.GetNewTabWriter(out)
	if !l.noHeaders {
		fmt.Fprintln(w, strings.Join(kubeconfig.ContextColumns, "\t"))
	}
	for _, c := range contexts {
		fmt.Fprintln(w, strings.Join(kubeconfig.ContextRow(c, current), "\t"))
	}
	return w.Flush() == nil
}

// contextsExtract is `contexts extract` to stdout.
func (l *line) contextsExtract(ctx context.Context, names []string, out *bytes.Buffer) bool {
	if l.outputSet && l.output != "yaml" && l.output != "json" {
		return false // -o FILE, deprecated, warns and writes a file
	}
	l.credentials = true
	set, err := kubeconfig.ReadSetToExtract(ctx, kubeconfig.LoadingPaths(l.kubeconfig))
	if err != nil {
		return false
	}
	if len(names) == 0 {
		cur := set.CurrentContext()
		if cur == "" {
			return false
		}
		names = []string{cur}
	}
	cfg, err := set.Extract(names)
	if err != nil {
		return false
	}
	if l.output == "json" {
		return objectPrinter("json").PrintObj(cfg, out) == nil
	}
	return kubeconfig.EncodeTo(out, cfg) == nil
}

// list is `list` without the live columns: with -o, or --live=false.
func (l *line) list(ctx context.Context, out *bytes.Buffer) bool {
	if l.outputSet && l.output != "name" && l.output != "yaml" && l.output != "json" {
		return false
	}
	if !l.outputSet && l.live {
		return false // the live columns read every cluster
	}
	tenants, ok := l.tenants(ctx)
	if !ok {
		return false
	}
	switch l.output {
	case "name":
		for _, t := range tenants {
			fmt.Fprintln(out, tenant.ObjectName(t.Name))
		}
		return true
	case "yaml", "json":
		list := &tenant.List{Items: tenants}
		list.APIVersion, list.Kind = tenant.APIVersion, tenant.ListKind
		if list.Items == nil {
			list.Items = []tenant.Tenant{}
		}
		return printable(list.Items) && objectPrinter(l.output).PrintObj(list, out) == nil
	}
	w := printers.GetNewTabWriter(out)
	if !l.noHeaders {
		fmt.Fprintln(w, strings.Join(tenant.Columns, "\t"))
	}
	for i := range tenants {
		fmt.Fprintln(w, strings.Join(tenants[i].Row(), "\t"))
	}
	return w.Flush() == nil
}

// get is `get NAME`: the record, YAML by default.
func (l *line) get(ctx context.Context, arg string, out *bytes.Buffer) bool {
	format := l.output
	switch format {
	case "":
		format = "yaml"
	case "yaml", "json", "name":
	default:
		return false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "tenant/"), tenant.ObjectName(""))
	if tenant.ValidateName(name) != nil {
		return false
	}
	reg, ok := l.fileRegistry()
	if !ok {
		return false
	}
	t, err := reg.Get(ctx, name)
	if err != nil {
		return false
	}
	if format == "name" {
		fmt.Fprintln(out, tenant.ObjectName(t.Name))
		return true
	}
	return printable([]tenant.Tenant{*t}) && objectPrinter(format).PrintObj(t, out) == nil
}

// objectPrinter is the printer kubectl's -o yaml or -o json makes
// (genericclioptions.PrintFlags), for objects whose kind is set.
func objectPrinter(format string) printers.ResourcePrinter {
	if format == "json" {
		return &printers.OmitManagedFieldsPrinter{Delegate: &printers.JSONPrinter{}}
	}
	return &printers.OmitManagedFieldsPrinter{Delegate: &printers.YAMLPrinter{}}
}

// printable reports whether records carry their kind: the engine's
// printer fills in a missing one from a scheme the reader does not link.
func printable(items []tenant.Tenant) bool {
	for _, t := range items {
		if t.APIVersion == "" || t.Kind == "" {
			return false
		}
	}
	return true
}

// readKubeconfig reads the kubeconfig files kubectl would.
func (l *line) readKubeconfig(ctx context.Context) (*kubeconfig.Set, bool) {
	paths := kubeconfig.LoadingPaths(l.kubeconfig)
	for _, p := range paths {
		abs, err := kubeconfig.AbsPath(p) // the file read: "~/" is the home directory
		if err != nil {
			return nil, false
		}
		l.inputs.Add(abs)
	}
	set, err := kubeconfig.ReadSet(ctx, paths)
	return set, err == nil
}

// fileRegistry is the registry the flags name, when it is a file.
func (l *line) fileRegistry() (tenant.Registry, bool) {
	if config, err := regspec.ConfigPath(); err == nil {
		l.inputs.Add(config) // it may name the registry
	}
	spec, err := regspec.Resolve(l.registry)
	if err != nil || regspec.CheckSpec(spec) != nil {
		return nil, false
	}
	kind, where := regspec.Parse(spec)
	if kind != "file" {
		return nil, false // a management cluster: the engine reaches it
	}
	reg, err := tenant.OpenRegistry(where)
	if err != nil {
		return nil, false
	}
	file, ok := reg.(*tenant.FileRegistry)
	if !ok {
		return nil, false
	}
	l.inputs.Add(file.Path)
	return file, true
}

// tenants are the records of the file registry.
func (l *line) tenants(ctx context.Context) ([]tenant.Tenant, bool) {
	reg, ok := l.fileRegistry()
	if !ok {
		return nil, false
	}
	tenants, err := reg.List(ctx)
	return tenants, err == nil
}
