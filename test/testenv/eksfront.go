package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// EKSFront is a local EKS endpoint for what moto lacks: the plugin (and
// any AWS SDK or CLI) reaches it through the standard
// AWS_ENDPOINT_URL_EKS. It serves EKS access entries itself, in EKS's
// REST-JSON wire format, from memory (CreateAccessEntry,
// DescribeAccessEntry, ListAccessEntries, UpdateAccessEntry,
// DeleteAccessEntry, AssociateAccessPolicy, DisassociateAccessPolicy,
// ListAssociatedAccessPolicies), because moto answers them 404; every
// other EKS call goes on to moto. It stands in for EKS's access-entry API
// only: it enforces nothing and authenticates no one. It records every
// call it sees, so tests can prove which were made.
type EKSFront struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	calls   []string
	entries map[string]*frontEntry // cluster + " " + principal ARN
}

type frontEntry struct {
	Cluster, Principal, Username, Type string
	Groups                             []string
	Tags                               map[string]string
	Policies                           map[string][]string // policy ARN -> namespaces
	Created                            time.Time
}

// StartEKSFront starts the front before moto's EKS at motoURL.
func StartEKSFront(motoURL string) (*EKSFront, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return nil, err
	}
	f := &EKSFront{entries: map[string]*frontEntry{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.serveAccessEntries(w, r) {
			f.record(r.Method + " " + r.URL.EscapedPath())
			proxy.ServeHTTP(w, r)
		}
	}))
	f.URL = f.srv.URL
	return f, nil
}

// Env points the AWS SDK's EKS clients at the front.
func (f *EKSFront) Env() []string { return []string{"AWS_ENDPOINT_URL_EKS=" + f.URL} }

// Close stops the front.
func (f *EKSFront) Close() { f.srv.Close() }

// Calls returns the calls seen so far: an access-entry operation by name
// with its principal, any other as METHOD PATH.
func (f *EKSFront) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Entries returns each access entry as "CLUSTER PRINCIPAL USERNAME GROUPS
// POLICIES", sorted: a summary a test can compare before and after.
func (f *EKSFront) Entries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.entries {
		out = append(out, fmt.Sprintf("%s %s %s %v %v", e.Cluster, e.Principal, e.Username, e.Groups, e.Policies))
	}
	slices.Sort(out)
	return out
}

func (f *EKSFront) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// serveAccessEntries answers the access-entry routes:
//
//	/clusters/{name}/access-entries[/{principalArn}[/access-policies[/{policyArn}]]]
//
// It reports false for any other path.
func (f *EKSFront) serveAccessEntries(w http.ResponseWriter, r *http.Request) bool {
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	if len(parts) < 3 || parts[0] != "clusters" || parts[2] != "access-entries" {
		return false
	}
	for i := range parts {
		p, err := url.PathUnescape(parts[i])
		if err != nil {
			return false
		}
		parts[i] = p
	}
	cluster := parts[1]
	var body map[string]any
	if r.Body != nil {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		if code != http.StatusOK {
			w.Header().Set("X-Amzn-ErrorType", v.(map[string]any)["__type"].(string))
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, kind, msg string) { reply(code, map[string]any{"__type": kind, "message": msg}) }
	op := func(name, principal string) { f.calls = append(f.calls, strings.TrimSpace(name+" "+principal)) }

	switch {
	case len(parts) == 3 && r.Method == http.MethodPost: // CreateAccessEntry
		p := str(body["principalArn"])
		op("CreateAccessEntry", p)
		if f.entries[cluster+" "+p] != nil {
			fail(http.StatusConflict, "ResourceInUseException", "the access entry exists")
			return true
		}
		e := &frontEntry{Cluster: cluster, Principal: p, Username: str(body["username"]), Type: str(body["type"]), Groups: strs(body["kubernetesGroups"]),
			Tags: map[string]string{}, Policies: map[string][]string{}, Created: time.Now()}
		if e.Type == "" {
			e.Type = "STANDARD"
		}
		if e.Username == "" {
			e.Username = p
		}
		if tags, ok := body["tags"].(map[string]any); ok {
			for k, v := range tags {
				e.Tags[k] = str(v)
			}
		}
		f.entries[cluster+" "+p] = e
		reply(http.StatusOK, map[string]any{"accessEntry": e.wire()})
	case len(parts) == 3 && r.Method == http.MethodGet: // ListAccessEntries
		op("ListAccessEntries", "")
		var arns []string
		for _, e := range f.entries {
			if e.Cluster == cluster {
				arns = append(arns, e.Principal)
			}
		}
		slices.Sort(arns)
		reply(http.StatusOK, map[string]any{"accessEntries": arns})
	case len(parts) >= 4:
		p := parts[3]
		e := f.entries[cluster+" "+p]
		name := accessEntryOp(r.Method, len(parts))
		op(name, p)
		if e == nil {
			fail(http.StatusNotFound, "ResourceNotFoundException", "No access entry found for principal "+p)
			return true
		}
		switch name {
		case "DescribeAccessEntry":
			reply(http.StatusOK, map[string]any{"accessEntry": e.wire()})
		case "UpdateAccessEntry":
			if v, ok := body["username"]; ok {
				e.Username = str(v)
			}
			if v, ok := body["kubernetesGroups"]; ok {
				e.Groups = strs(v)
			}
			reply(http.StatusOK, map[string]any{"accessEntry": e.wire()})
		case "DeleteAccessEntry":
			delete(f.entries, cluster+" "+p)
			reply(http.StatusOK, map[string]any{})
		case "AssociateAccessPolicy":
			policy := str(body["policyArn"])
			scope, _ := body["accessScope"].(map[string]any)
			e.Policies[policy] = strs(scope["namespaces"])
			reply(http.StatusOK, map[string]any{"clusterName": cluster, "principalArn": p,
				"associatedAccessPolicy": map[string]any{"policyArn": policy, "accessScope": scope}})
		case "DisassociateAccessPolicy":
			delete(e.Policies, parts[5])
			reply(http.StatusOK, map[string]any{})
		case "ListAssociatedAccessPolicies":
			var list []map[string]any
			for arn, ns := range e.Policies {
				list = append(list, map[string]any{"policyArn": arn, "accessScope": map[string]any{"type": "namespace", "namespaces": ns}})
			}
			reply(http.StatusOK, map[string]any{"clusterName": cluster, "principalArn": p, "associatedAccessPolicies": list})
		default:
			fail(http.StatusBadRequest, "InvalidRequestException", "the EKS front does not serve "+r.Method+" "+r.URL.Path)
		}
	default:
		fail(http.StatusBadRequest, "InvalidRequestException", "the EKS front does not serve "+r.Method+" "+r.URL.Path)
	}
	return true
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
