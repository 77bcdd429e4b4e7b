package token

import (
	"io"
	"os"
	"strings"
)

// IAMRequest is an IAM token request as the exec plugin line of a
// generated kubeconfig makes it: `kubectl-tenant token TENANT --region R
// [--cluster C] [--role-arn A]... [--external-id X] [--profile P] [--raw]
// [--no-cache]`.
type IAMRequest struct {
	Tenant, Cluster, Region, ExternalID, Profile string
	RoleARNs                                     []string
	Raw, NoCache                                 bool
}

// Args are the command line that asks for r, "token" first: what a
// generated kubeconfig's exec plugin runs, and what ParseIAMArgs reads
// back (the words after "token").
func (r IAMRequest) Args() []string {
	args := []string{"token", r.Tenant}
	if r.Cluster != "" {
		args = append(args, "--cluster", r.Cluster)
	}
	args = append(args, "--region", r.Region)
	for _, arn := range r.RoleARNs {
		args = append(args, "--role-arn", arn)
	}
	if r.ExternalID != "" {
		args = append(args, "--external-id", r.ExternalID)
	}
	if r.Profile != "" {
		args = append(args, "--profile", r.Profile)
	}
	if r.Raw {
		args = append(args, "--raw")
	}
	if r.NoCache {
		args = append(args, "--no-cache")
	}
	return args
}

// Key is the request's cache key.
func (r IAMRequest) Key() Key {
	return NewKey(r.Cluster, r.Region, r.RoleARNs, r.ExternalID, r.Profile)
}

// ParseIAMArgs reads the words after "token" as an IAMRequest. It reports
// false for anything else (another flag, a ServiceAccount token, a missing
// value), which the full command handles and explains. The cluster
// defaults to the tenant's name.
func ParseIAMArgs(args []string) (IAMRequest, bool) {
	var r IAMRequest
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if r.Tenant != "" {
				return IAMRequest{}, false
			}
			r.Tenant = a
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name == "raw" && !inline:
			r.Raw = true
			continue
		case name == "no-cache" && !inline:
			r.NoCache = true
			continue
		}
		if !inline {
			if i+1 >= len(args) {
				return IAMRequest{}, false
			}
			i++
			value = args[i]
		}
		switch name {
		case "cluster":
			r.Cluster = value
		case "region":
			r.Region = value
		case "role-arn":
			r.RoleARNs = append(r.RoleARNs, value)
		case "external-id":
			r.ExternalID = value
		case "profile":
			r.Profile = value
		default:
			return IAMRequest{}, false
		}
	}
	if r.Tenant == "" || r.Region == "" {
		return IAMRequest{}, false
	}
	if r.Cluster == "" {
		r.Cluster = r.Tenant
	}
	return r, true
}

// ServeWarm answers an IAM token request (the words after "token") from
// the cache. It reads one small file and nothing else: no registry, no
// AWS config, no network. It reports false, having written nothing,
// whenever it cannot answer (a miss, --no-cache, another flag, anything
// odd); a program that can sign then runs.
func ServeWarm(args []string, out io.Writer) bool {
	r, ok := ParseIAMArgs(args)
	if !ok || r.NoCache {
		return false
	}
	apiVersion, err := RequestedAPIVersion(os.Getenv(ExecInfoEnv))
	if err != nil {
		return false
	}
	dir, err := DefaultCacheDir()
	if err != nil {
		return false
	}
	e, ok := (&Cache{Dir: dir}).Get(r.Key())
	if !ok {
		return false
	}
	return Print(out, apiVersion, e, r.Raw) == nil
}

// Print writes a token as kubectl's ExecCredential, or raw.
func Print(out io.Writer, apiVersion string, e Entry, raw bool) error {
	if raw {
		_, err := io.WriteString(out, e.Token+"\n")
		return err
	}
	data, err := ExecCredential(apiVersion, e.Token, e.Expires)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}
