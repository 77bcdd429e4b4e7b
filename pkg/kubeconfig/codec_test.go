package kubeconfig

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"
)

// codecCases are documents that exercise quoting, numbers, extensions,
// empty lists and multi-line values.
var codecCases = map[string]string{
	"target":   target,
	"incoming": incoming,
	"first":    first,
	"second":   second,
	"quoting": `clusters:
- name: "needs: quoting"
  cluster:
    server: "https://host:6443"
    tls-server-name: "true"
    extensions:
    - name: numbers
      extension: {int: 1000000, big: 18446744073709551615, float: 1.5, exp: 1e3, neg: -7, bool: true, "null": null, list: [1, "2", {a: b}]}
users:
- name: "#hash"
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: "yes"
      args: ["--flag=a b", "", "multi\nline\n", " lead"]
      env: [{name: A, value: "0123"}]
contexts: []
current-context: "null"
`,
}

// Encode gives the bytes sigs.k8s.io/yaml.Marshal gives for the whole
// config, and Parse reads them back to the same config.
func TestEncodeMatchesWholeDocumentMarshal(t *testing.T) {
	for name, doc := range codecCases {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse(name, []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Encode(cfg)
			if err != nil {
				t.Fatal(err)
			}
			whole := *cfg
			whole.APIVersion, whole.Kind = "v1", "Config"
			if whole.Clusters == nil {
				whole.Clusters = []clientcmdv1.NamedCluster{}
			}
			if whole.AuthInfos == nil {
				whole.AuthInfos = []clientcmdv1.NamedAuthInfo{}
			}
			if whole.Contexts == nil {
				whole.Contexts = []clientcmdv1.NamedContext{}
			}
			want, err := yaml.Marshal(&whole)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Encode differs from yaml.Marshal (-want +got):\n%s", diff)
			}
			back, err := Parse(name, got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(cfg, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// The split parse, forced on small documents, agrees with the whole parse.
func TestSplitParseAgreesWithWholeParse(t *testing.T) {
	extra := map[string]string{
		"comments and blanks": "# top\nclusters:\n\n# between\n- name: a\n  cluster: {server: https://a}\n\n- name: b\n  cluster:\n    server: https://b\ncurrent-context: x\n",
		"anchor across items": "clusters:\n- name: a\n  cluster: &c {server: https://a}\n- name: b\n  cluster: *c\n",
		"document marker":     "---\nclusters: []\n",
		"json":                `{"clusters":[{"name":"a","cluster":{"server":"https://a"}}]}`,
		"flow list":           "clusters: [{name: a, cluster: {server: https://a}}]\n",
		"repeated key":        "clusters:\n- name: a\n  cluster: {}\nclusters:\n- name: b\n  cluster: {}\n",
		"null item":           "clusters:\n-\n- name: a\n  cluster: {}\n",
		"block scalar":        "extensions:\n- name: e\n  extension:\n    text: |\n      one\n\n      three\nclusters:\n- name: a\n  cluster:\n    server: |\n      x\n\n      y\n",
		"empty list key":      "clusters:\ncontexts:\n- name: c\n  context: {}\n",
	}
	mustSplit := map[string]bool{"comments and blanks": true, "block scalar": true, "empty list key": true}
	for name, doc := range codecCases {
		extra[name] = doc
	}
	for name, doc := range extra {
		t.Run(name, func(t *testing.T) {
			whole := newConfig()
			wholeErr := yaml.Unmarshal([]byte(doc), whole)
			split, ok := parseSplit([]byte(doc))
			if !ok {
				if mustSplit[name] || codecCases[name] != "" {
					t.Fatal("the split parse declined a plain document")
				}
				return // the caller falls back to the whole parse
			}
			if wholeErr != nil {
				t.Fatalf("split parse accepted what the whole parse refuses (%v)", wholeErr)
			}
			if diff := cmp.Diff(whole, split); diff != "" {
				t.Errorf("split parse differs (-whole +split):\n%s", diff)
			}
		})
	}
}
