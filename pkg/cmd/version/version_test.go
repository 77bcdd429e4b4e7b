package version

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/version"
)

func TestVersionOutputs(t *testing.T) {
	for _, format := range []string{"", "json", "yaml"} {
		t.Run("output="+format, func(t *testing.T) {
			streams, _, out, _ := genericiooptions.NewTestIOStreams()
			o := &Options{IOStreams: streams, Output: format}
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := o.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			info := version.Get()
			switch format {
			case "json":
				var got version.Info
				if err := json.Unmarshal(out.Bytes(), &got); err != nil || got != info {
					t.Errorf("json %s: %+v %v, want %+v", out, got, err, info)
				}
			default:
				if !strings.Contains(out.String(), info.Version) || !strings.Contains(out.String(), info.GoVersion) {
					t.Errorf("output %q lacks version %s or %s", out, info.Version, info.GoVersion)
				}
			}
		})
	}
	if err := (&Options{Output: "xml"}).Validate(); err == nil {
		t.Error("-o xml accepted")
	}
}
