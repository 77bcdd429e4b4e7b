package token

import (
	"io"
	"os"
	"strings"
)

// ServeWarm answers `kubectl-tenant token TENANT --region R [--cluster C]
// [--role-arn A]... [--external-id X] [--profile P] [--raw]` from the
// cache, as the exec plugin line of a generated kubeconfig calls it. It
// reads one small file and nothing else: no registry, no AWS config, no
// network. It reports false, having written nothing, whenever it cannot
// answer (a miss, another flag, anything odd); the full command then runs
// and decides. args are the words after "token".
func ServeWarm(args []string, out io.Writer) bool {
	var tenantName, cluster, region, externalID, profile string
	var roles []string
	raw := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if tenantName != "" {
				return false
			}
			tenantName = a
			continue
		}
		name, value, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "raw" && !inline {
			raw = true
			continue
		}
		if !inline {
			if i+1 >= len(args) {
				return false
			}
			i++
			value = args[i]
		}
		switch name {
		case "cluster":
			cluster = value
		case "region":
			region = value
		case "role-arn":
			roles = append(roles, value)
		case "external-id":
			externalID = value
		case "profile":
			profile = value
		default:
			return false
		}
	}
	if tenantName == "" || region == "" {
		return false
	}
	if cluster == "" {
		cluster = tenantName
	}
	apiVersion, err := RequestedAPIVersion(os.Getenv(ExecInfoEnv))
	if err != nil {
		return false
	}
	dir, err := DefaultCacheDir()
	if err != nil {
		return false
	}
	e, ok := (&Cache{Dir: dir}).Get(NewKey(cluster, region, roles, externalID, profile))
	if !ok {
		return false
	}
	if raw {
		_, err = io.WriteString(out, e.Token+"\n")
		return err == nil
	}
	data, err := ExecCredential(apiVersion, e.Token, e.Expires)
	if err != nil {
		return false
	}
	_, err = out.Write(data)
	return err == nil
}
