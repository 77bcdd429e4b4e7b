package fieldflag

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation/field"
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
	if got := AWSIdentity.Rename(errs.ToAggregate(), cmd.Flags().Changed).Error(); !strings.Contains(got, "spec.aws.region: Invalid value") || !strings.Contains(got, "spec.aws.roleARNs[1]") {
		t.Errorf("no flags given: %s", got)
	}
	_ = cmd.Flags().Set("region", "europe")
	_ = cmd.Flags().Set("role-arn", "x")
	got := AWSIdentity.Rename(errs.ToAggregate(), cmd.Flags().Changed).Error()
	for _, want := range []string{`--region: Invalid value: "europe"`, `--role-arn #2: Invalid value: "x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("flags given: %s, want %s", got, want)
		}
	}
	plain := errors.New("plain")
	if AWSIdentity.Rename(plain, cmd.Flags().Changed) != plain {
		t.Error("an error without fields changed")
	}
}
