package cmdutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// A field the user gave by flag is named by the flag; one that came from
// the record keeps its path, so describe never blames a flag no one passed.
func TestFieldFlagsNameOnlyTheFlagsGiven(t *testing.T) {
	cmd := &cobra.Command{}
	cmd.Flags().String("region", "", "")
	cmd.Flags().StringArray("role-arn", nil, "")
	errs := field.ErrorList{
		field.Invalid(field.NewPath("spec", "aws", "region"), "europe", "not an AWS region name"),
		field.Invalid(field.NewPath("spec", "aws", "roleARNs").Index(1), "x", "not an ARN"),
	}
	if got := AWSIdentityFlags.ToFlags(cmd, errs.ToAggregate()).Error(); !strings.Contains(got, "spec.aws.region: Invalid value") || !strings.Contains(got, "spec.aws.roleARNs[1]") {
		t.Errorf("no flags given: %s", got)
	}
	_ = cmd.Flags().Set("region", "europe")
	_ = cmd.Flags().Set("role-arn", "x")
	got := AWSIdentityFlags.ToFlags(cmd, errs.ToAggregate()).Error()
	for _, want := range []string{`--region: Invalid value: "europe"`, `--role-arn #2: Invalid value: "x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("flags given: %s, want %s", got, want)
		}
	}
	plain := errors.New("plain")
	if AWSIdentityFlags.ToFlags(cmd, plain) != plain {
		t.Error("an error without fields changed")
	}
}

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
	if out.String() != "tenant/acme\ntenant/a\ntenant/b\n" {
		t.Errorf("-o name printed %q", out.String())
	}
}
