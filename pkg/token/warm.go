package token

import (
	"io"
	"os"
	"strings"
)

// IAMRequest is an IAM token request as the exec plugin line of a
// generated kubeconfig makes it: `kubectl-tenant token TENANT --region R
// [--cluster C] [--role-arn A [--external-id X]]... [--profile P] [--raw]
// [--no-cache]`. An --external-id belongs to the --role-arn before it, so
// that every hop of a chain can carry its own; a line with one
// --external-id after the last role, as earlier releases wrote them,
// means the same as before.
type IAMRequest struct {
	Tenant, Cluster, Region, Profile string
	// Chain is the roles assumed in turn, each with its external ID.
	Chain        []Role
	Raw, NoCache bool
}

// Chain is a role chain whose last role, the tenant's, needs externalID
// (none when empty).
func Chain(roleARNs []string, externalID string) []Role {
	var out []Role
	for _, arn := range roleARNs {
		out = append(out, Role{ARN: arn})
	}
	if len(out) > 0 {
		out[len(out)-1].ExternalID = externalID
	}
	return out
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
	for _, hop := range r.Chain {
		args = append(args, "--role-arn", hop.ARN)
		if hop.ExternalID != "" {
			args = append(args, "--external-id", hop.ExternalID)
		}
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

// Key is the request's cache key, with the source identity the
// environment gives.
func (r IAMRequest) Key() Key {
	return Key{Cluster: r.Cluster, Region: r.Region, RoleChain: r.Chain, Profile: r.Profile, Source: SourceIdentity(r.Profile)}
}

// SourceIdentity names, as far as the environment tells without a call,
// whose credentials the AWS SDK's default chain starts from: the access
// key ID of environment credentials (never the secret), the role of a web
// identity and its token file, the container credentials endpoint, and
// the profile (profile if given, else $AWS_PROFILE, else
// $AWS_DEFAULT_PROFILE). The files a profile is read from are not part of
// it: the warm path must not depend on them. A warm token is
// looked up without calling STS, so switching any of them must miss.
func SourceIdentity(profile string) string {
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = os.Getenv("AWS_DEFAULT_PROFILE")
	}
	var parts []string
	for _, kv := range [][2]string{
		{"key", os.Getenv("AWS_ACCESS_KEY_ID")},
		{"web-identity", os.Getenv("AWS_ROLE_ARN")},
		{"web-identity-token", os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE")},
		{"container", os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") + os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")},
		{"profile", profile},
	} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, ",")
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
			r.Chain = append(r.Chain, Role{ARN: value})
		case "external-id":
			// It belongs to the role before it; none, or a second one
			// for that role, is for the full command to explain.
			if len(r.Chain) == 0 || r.Chain[len(r.Chain)-1].ExternalID != "" {
				return IAMRequest{}, false
			}
			r.Chain[len(r.Chain)-1].ExternalID = value
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
