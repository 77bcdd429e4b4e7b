package cmdutil

import (
	"bytes"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

func TestOutputFileTakesTheDeprecatedForm(t *testing.T) {
	formats := NewKubeconfigPrintFlags().AllowedFormats()
	for _, tc := range []struct {
		format, file, wantFormat, wantFile string
		warned                             bool
	}{
		{"yaml", "", "yaml", "", false},
		{"json", "out", "json", "out", false},
		{"ci.kubeconfig", "", "", "ci.kubeconfig", true},
	} {
		var errOut bytes.Buffer
		f := OutputFile{Path: tc.file}
		got, err := f.Resolve(tc.format, formats, &errOut)
		if err != nil || got != tc.wantFormat || f.Path != tc.wantFile || (errOut.Len() > 0) != tc.warned {
			t.Errorf("Resolve(%q) with --output-file %q = %q, file %q, %v, warning %q", tc.format, tc.file, got, f.Path, err, errOut.String())
		}
	}
	f := OutputFile{Path: "a"}
	if _, err := f.Resolve("b", formats, &bytes.Buffer{}); err == nil {
		t.Error("-o FILE with --output-file was taken")
	}
}

func TestTenantPrinterNames(t *testing.T) {
	flags := genericclioptions.NewPrintFlags("")
	*flags.OutputFormat = "name"
	p, err := TenantPrinter(flags)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := p.PrintObj(tenant.New("acme"), &out); err != nil {
		t.Fatal(err)
	}
	if err := p.PrintObj(&tenant.List{Items: []tenant.Tenant{*tenant.New("a"), *tenant.New("b")}}, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "tenant.tenancy.kubectl-tenant.io/acme\ntenant.tenancy.kubectl-tenant.io/a\ntenant.tenancy.kubectl-tenant.io/b\n" {
		t.Errorf("-o name printed %q", out.String())
	}
}
