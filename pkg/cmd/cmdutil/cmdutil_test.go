package cmdutil

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	kcmdutil "k8s.io/kubectl/pkg/cmd/util"

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

// --dry-run reads as kubectl reads it: its values, its deprecated
// spellings, and its message for any other.
func TestDryRunFlagIsKubectls(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want DryRunStrategy
		err  string
	}{
		{nil, DryRunNone, ""},
		{[]string{"--dry-run=client"}, DryRunClient, ""},
		{[]string{"--dry-run=server"}, DryRunServer, ""},
		{[]string{"--dry-run=none"}, DryRunNone, ""},
		{[]string{"--dry-run"}, DryRunClient, ""},
		{[]string{"--dry-run=true"}, DryRunClient, ""},
		{[]string{"--dry-run=false"}, DryRunNone, ""},
		{[]string{"--dry-run=maybe"}, DryRunNone, `Invalid dry-run value (maybe). Must be "none", "server", or "client".`},
	} {
		cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		AddDryRunFlag(cmd)
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := GetDryRunStrategy(cmd)
		if got != tc.want || fmt.Sprint(err) != map[bool]string{true: "<nil>", false: tc.err}[tc.err == ""] {
			t.Errorf("%q: %v, %v; want %v, %q", tc.args, got, err, tc.want, tc.err)
		}
		// And as kubectl's own helpers read it.
		theirs := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		kcmdutil.AddDryRunFlag(theirs)
		if err := theirs.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		want, wantErr := kcmdutil.GetDryRunStrategy(theirs)
		if int(got) != int(want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%q: %v, %v; kubectl reads %v, %v", tc.args, got, err, want, wantErr)
		}
		if ours, kubectl := cmd.Flag("dry-run"), theirs.Flag("dry-run"); ours.Usage != kubectl.Usage || ours.DefValue != kubectl.DefValue || ours.NoOptDefVal != kubectl.NoOptDefVal {
			t.Errorf("--dry-run is %+v, kubectl's %+v", ours, kubectl)
		}
	}
}

// -f is kubectl's -f: name, shorthand, usage and the file extensions the
// shell completes.
func TestFilenameFlagIsKubectls(t *testing.T) {
	var ours, theirs []string
	a, b := pflag.NewFlagSet("ours", pflag.ContinueOnError), pflag.NewFlagSet("kubectl", pflag.ContinueOnError)
	AddFilenameFlag(a, &ours, "Files")
	kcmdutil.AddJsonFilenameFlag(b, &theirs, "Files")
	fa, fb := a.Lookup("filename"), b.Lookup("filename")
	if fa == nil || fa.Shorthand != fb.Shorthand || fa.Usage != fb.Usage || fa.DefValue != fb.DefValue || fa.Value.Type() != fb.Value.Type() ||
		fmt.Sprint(fa.Annotations) != fmt.Sprint(fb.Annotations) {
		t.Errorf("-f is %+v, kubectl's %+v", fa, fb)
	}
}
