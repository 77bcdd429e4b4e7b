package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// TenantVerbs are the commands whose first argument completes to the
// names in the registry, and nothing after it. The engine's command tree
// is checked against them (pkg/cmd's tests).
var TenantVerbs = []string{
	"access", "aws-auth backups", "aws-auth migrate", "aws-auth restore", "delete", "describe", "get",
	"grant", "kubeconfig", "revoke", "role create", "role delete", "token", "workload-role",
}

// tenantFirstVerbs complete the tenant names as their first argument
// only: what follows is another completion.
var tenantFirstVerbs = []string{"addon"}

// NamespaceVerbs are the commands whose --namespace completes to the
// namespaces of the tenant their first argument names.
var NamespaceVerbs = []string{"grant", "revoke"}

// ContextVerbs are the commands whose arguments are contexts.
var ContextVerbs = []string{"contexts extract", "contexts remove"}

// Commands are the engine's commands a completion may name, by path
// (pkg/cmd's tests hold the list to the tree), and groups those that hold
// others; a completion of anything else is cobra's.
var (
	Commands = []string{
		"access", "addon", "apply", "aws-auth backups", "aws-auth migrate", "aws-auth restore", "bootstrap iam",
		"contexts extract", "contexts list", "contexts merge", "contexts remove", "create", "delete", "describe",
		"get", "grant", "init", "kubeconfig", "list", "registry migrate", "revoke", "role create", "role delete",
		"token", "version", "workload-role",
	}
	groups = []string{"aws-auth", "bootstrap", "contexts", "registry", "role", "completion"}
)

// Aliases are the other names of commands, wherever they stand.
var Aliases = map[string]string{"ls": "list", "rm": "remove"}

// The directives of cobra's completion protocol the reader answers with,
// and how cobra names them on stderr.
const (
	directiveNoFileComp = 4
	directiveName       = "ShellCompDirectiveNoFileComp"
)

// answerCompletion answers `__complete WORDS... TOCOMPLETE` as cobra
// would for the completions the engine registers.
func (l *line) answerCompletion(ctx context.Context, out, errOut *bytes.Buffer) bool {
	toComplete := l.words[len(l.words)-1]
	verb, args, ok := splitVerb(l.words[:len(l.words)-1])
	if !ok && !(len(l.words) == 1 && l.completing == "context") { // the root's --context
		return false
	}
	// The flags every command has (kubectl's, and --registry), and
	// --role, which grant and revoke have.
	flags := []string{"kubeconfig", "registry", "context", "namespace"}
	if slices.Contains(NamespaceVerbs, verb) {
		flags = append(flags, "role")
	}
	if !l.only(flags...) {
		return false
	}
	var names []string
	switch {
	case l.completing == "context":
		names, ok = l.contextNames(ctx)
	case l.completing == "namespace" && slices.Contains(NamespaceVerbs, verb):
		names, ok = l.tenantNamespaces(ctx, args)
	case l.completing != "":
		return false
	case slices.Contains(TenantVerbs, verb) && len(args) > 0:
		// The tenant is given: nothing more to complete.
	case slices.Contains(TenantVerbs, verb) || slices.Contains(tenantFirstVerbs, verb) && len(args) == 0:
		names, ok = l.tenantNames(ctx)
	case slices.Contains(ContextVerbs, verb):
		names, ok = l.contextNames(ctx)
	default:
		return false
	}
	if !ok {
		return false
	}
	for _, n := range names {
		if strings.HasPrefix(n, toComplete) {
			fmt.Fprintln(out, n)
		}
	}
	fmt.Fprintf(out, ":%d\n", directiveNoFileComp)
	fmt.Fprintf(errOut, "Completion ended with directive: %s\n", directiveName)
	return true
}

// splitVerb finds the command the words name (one word, or a group and
// its command) and its arguments.
func splitVerb(words []string) (verb string, args []string, ok bool) {
	if len(words) == 0 {
		return "", nil, false
	}
	first := words[0]
	if a, ok := Aliases[first]; ok {
		first = a
	}
	verb, args = first, words[1:]
	if slices.Contains(groups, first) {
		if len(words) < 2 {
			return "", nil, false // the group's commands: cobra's own completion
		}
		second := words[1]
		if a, ok := Aliases[second]; ok {
			second = a
		}
		verb, args = first+" "+second, words[2:]
	}
	return verb, args, slices.Contains(Commands, verb)
}

// tenantNames are the names in the file registry.
func (l *line) tenantNames(ctx context.Context) ([]string, bool) {
	tenants, ok := l.tenants(ctx)
	if !ok {
		return nil, false
	}
	names := make([]string, len(tenants))
	for i, t := range tenants {
		names[i] = t.Name
	}
	return names, true
}

// tenantNamespaces are the namespaces of the tenant args name; none when
// it names none or one the registry does not have.
func (l *line) tenantNamespaces(ctx context.Context, args []string) ([]string, bool) {
	if len(args) == 0 {
		return nil, true
	}
	reg, ok := l.fileRegistry()
	if !ok {
		return nil, false
	}
	t, err := reg.Get(ctx, args[0])
	var notFound *tenant.NotFoundError
	if errors.As(err, &notFound) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	return t.Spec.Namespaces, true
}

// contextNames are the names of the active kubeconfig's contexts.
func (l *line) contextNames(ctx context.Context) ([]string, bool) {
	set, ok := l.readKubeconfig(ctx)
	if !ok {
		return nil, false
	}
	return set.ContextNames(), true
}
