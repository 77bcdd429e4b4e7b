package capa

import (
	"testing"

	"sigs.k8s.io/yaml"

	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
)

// Each way of writing allowedNamespaces, decoded from YAML as the
// apiserver hands it to CAPA, and which of two namespaces it admits:
// the tenant's (acme, labelled team=acme) and another's (globex).
func TestAdmits(t *testing.T) {
	acme := map[string]string{"team": "acme"}
	for _, tc := range []struct {
		name, spec   string
		acme, globex bool
	}{
		{"absent: none", `{}`, false, false},
		{"null: none", `{allowedNamespaces: null}`, false, false},
		{"empty object: every namespace", `{allowedNamespaces: {}}`, true, true},
		{"empty selector: every namespace, against CAPA's docs", `{allowedNamespaces: {selector: {}}}`, true, true},
		{"empty list: none", `{allowedNamespaces: {list: []}}`, false, false},
		{"null list: every namespace", `{allowedNamespaces: {list: null}}`, true, true},
		{"empty matchLabels: none", `{allowedNamespaces: {selector: {matchLabels: {}}}}`, false, false},
		{"a list", `{allowedNamespaces: {list: [acme]}}`, true, false},
		{"a selector", `{allowedNamespaces: {selector: {matchLabels: {team: acme}}}}`, true, false},
		{"a list or a selector", `{allowedNamespaces: {list: [globex], selector: {matchLabels: {team: acme}}}}`, true, true},
		{"a selector of an expression", `{allowedNamespaces: {selector: {matchExpressions: [{key: team, operator: Exists}]}}}`, true, false},
		{"the plugin's own", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var spec infrav1.AWSClusterIdentitySpec
			if tc.spec == "" {
				spec.AllowedNamespaces = AdmitsOnly("acme")
			} else if err := yaml.UnmarshalStrict([]byte(tc.spec), &spec); err != nil {
				t.Fatal(err)
			}
			for ns, want := range map[string]bool{"acme": tc.acme, "globex": tc.globex} {
				l := map[string]string{}
				if ns == "acme" {
					l = acme
				}
				got, err := Admits(spec.AllowedNamespaces, ns, l)
				if err != nil || got != want {
					t.Errorf("admits %s: %v, %v; want %v", ns, got, err, want)
				}
			}
		})
	}
	bad := &infrav1.AllowedNamespaces{}
	bad.Selector.MatchLabels = map[string]string{"bad key!": "x"}
	if _, err := Admits(bad, "acme", nil); err == nil {
		t.Error("a selector that does not parse: no error")
	}
}
