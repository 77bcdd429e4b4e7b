package testenv

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// serveAccessEntries answers EKS's access-entry routes,
//
//	/clusters/{name}/access-entries[/{principalArn}[/access-policies[/{policyArn}]]]
//
// from the cluster's entries, then exports a change to its data plane. A
// cluster the front did not see created (one a test records by hand)
// keeps its entries in memory only.
func (f *EKSFront) serveAccessEntries(w http.ResponseWriter, r *http.Request, who caller, parts []string, body []byte) {
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	c := f.cluster(who, parts[1])
	changed := f.accessEntryCall(w, r, c, parts, in)
	entries := c.entryList()
	f.mu.Unlock()
	if changed && c.plane != nil {
		if err := c.plane.export(r.Context(), entries); err != nil {
			// The answer is written; the failure shows in the test's log.
			f.record("local EKS: exporting access entries of " + c.Name + ": " + err.Error())
		}
	}
}

// accessEntryCall makes one access-entry call on c (under f.mu) and
// reports whether it changed the entries.
func (f *EKSFront) accessEntryCall(w http.ResponseWriter, r *http.Request, c *frontCluster, parts []string, in map[string]any) bool {
	op := func(name, principal string) { f.calls = append(f.calls, strings.TrimSpace(name+" "+principal)) }
	if len(parts) == 3 {
		switch r.Method {
		case http.MethodPost:
			p := str(in["principalArn"])
			op("CreateAccessEntry", p)
			if c.entries[p] != nil {
				fail(w, http.StatusConflict, "ResourceInUseException", "The specified access entry resource is already in use on this cluster.")
				return false
			}
			e := &frontEntry{Cluster: c.Name, Principal: p, Username: str(in["username"]), Type: str(in["type"]), Groups: strs(in["kubernetesGroups"]),
				Tags: map[string]string{}, Policies: map[string]frontScope{}, Created: time.Now()}
			if e.Type == "" {
				e.Type = "STANDARD"
			}
			if e.Username == "" {
				e.Username = defaultUsername(p)
			}
			if tags, ok := in["tags"].(map[string]any); ok {
				for k, v := range tags {
					e.Tags[k] = str(v)
				}
			}
			c.entries[p] = e
			reply(w, http.StatusOK, map[string]any{"accessEntry": e.wire()})
			return true
		case http.MethodGet:
			op("ListAccessEntries", "")
			arns := []string{}
			for p := range c.entries {
				arns = append(arns, p)
			}
			slices.Sort(arns)
			reply(w, http.StatusOK, map[string]any{"accessEntries": arns})
			return false
		}
	}
	if len(parts) < 4 {
		fail(w, http.StatusBadRequest, "InvalidRequestException", "the local EKS does not serve "+r.Method+" "+r.URL.Path)
		return false
	}
	p := parts[3]
	e := c.entries[p]
	name := accessEntryOp(r.Method, len(parts))
	op(name, p)
	if e == nil {
		fail(w, http.StatusNotFound, "ResourceNotFoundException", "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
		return false
	}
	switch name {
	case "DescribeAccessEntry":
		reply(w, http.StatusOK, map[string]any{"accessEntry": e.wire()})
	case "UpdateAccessEntry":
		if v, ok := in["username"]; ok {
			e.Username = str(v)
		}
		if v, ok := in["kubernetesGroups"]; ok {
			e.Groups = strs(v)
		}
		reply(w, http.StatusOK, map[string]any{"accessEntry": e.wire()})
		return true
	case "DeleteAccessEntry":
		delete(c.entries, p)
		reply(w, http.StatusOK, map[string]any{})
		return true
	case "AssociateAccessPolicy":
		policy := str(in["policyArn"])
		scope, _ := in["accessScope"].(map[string]any)
		e.Policies[policy] = frontScope{Type: str(scope["type"]), Namespaces: strs(scope["namespaces"])}
		reply(w, http.StatusOK, map[string]any{"clusterName": c.Name, "principalArn": p,
			"associatedAccessPolicy": map[string]any{"policyArn": policy, "accessScope": scope}})
		return true
	case "DisassociateAccessPolicy":
		delete(e.Policies, parts[5])
		reply(w, http.StatusOK, map[string]any{})
		return true
	case "ListAssociatedAccessPolicies":
		list := []map[string]any{}
		for _, arn := range slices.Sorted(maps.Keys(e.Policies)) {
			s := e.Policies[arn]
			list = append(list, map[string]any{"policyArn": arn, "accessScope": map[string]any{"type": s.Type, "namespaces": s.Namespaces}})
		}
		reply(w, http.StatusOK, map[string]any{"clusterName": c.Name, "principalArn": p, "associatedAccessPolicies": list})
	default:
		fail(w, http.StatusBadRequest, "InvalidRequestException", "the local EKS does not serve "+r.Method+" "+r.URL.Path)
	}
	return false
}

// defaultUsername is the username EKS gives an entry created without
// one: the session ARN (templated) for a role, the ARN for a user.
func defaultUsername(principal string) string {
	fields := strings.SplitN(principal, ":", 6)
	if len(fields) == 6 && strings.HasPrefix(fields[5], "role/") {
		name := fields[5][strings.LastIndex(fields[5], "/")+1:]
		return "arn:" + fields[1] + ":sts::" + fields[4] + ":assumed-role/" + name + "/{{SessionName}}"
	}
	return principal
}

// accessEntryOp names the operation of a request under
// /clusters/{name}/access-entries/{principalArn}.
func accessEntryOp(method string, depth int) string {
	switch {
	case depth == 4 && method == http.MethodGet:
		return "DescribeAccessEntry"
	case depth == 4 && method == http.MethodPost:
		return "UpdateAccessEntry"
	case depth == 4 && method == http.MethodDelete:
		return "DeleteAccessEntry"
	case depth == 5 && method == http.MethodPost:
		return "AssociateAccessPolicy"
	case depth == 5 && method == http.MethodGet:
		return "ListAssociatedAccessPolicies"
	case depth == 6 && method == http.MethodDelete:
		return "DisassociateAccessPolicy"
	}
	return method
}

func (e *frontEntry) wire() map[string]any {
	return map[string]any{
		"clusterName": e.Cluster, "principalArn": e.Principal, "username": e.Username, "type": e.Type,
		"kubernetesGroups": e.Groups, "tags": e.Tags,
		"accessEntryArn": "arn:aws:eks:local:000000000000:access-entry/" + e.Cluster + "/" + e.Principal,
		"createdAt":      float64(e.Created.Unix()), "modifiedAt": float64(e.Created.Unix()),
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		out = append(out, str(x))
	}
	return out
}
