package iamarn

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, kind string
		want     Principal
		err      string
	}{
		{in: "arn:aws:iam::111122223333:role/dev", kind: Role, want: Principal{"aws", "111122223333", Role, "", "dev"}},
		{in: "arn:aws-cn:iam::111122223333:user/ops/alice", kind: User, want: Principal{"aws-cn", "111122223333", User, "ops/", "alice"}},
		{in: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123", kind: Role,
			want: Principal{"aws", "111122223333", Role, "aws-reserved/sso.amazonaws.com/eu-west-1/", "AWSReservedSSO_Admin_0123"}},
		{in: "not-an-arn", kind: Role, err: "is not an ARN"},
		{in: "arn:aws:s3:::bucket", kind: Role, err: "is not an IAM role ARN"},
		{in: "arn:aws:iam::111122223333:user/alice", kind: Role, err: "is not an IAM role ARN"},
		{in: "arn:aws:iam::1234:role/dev", kind: Role, err: "an AWS account ID is 12 digits"},
		{in: "arn:aws:iam::111122223333:role/", kind: Role, err: "has role name"},
		{in: "arn:aws:iam::111122223333:role/" + strings.Repeat("x", 65), kind: Role, err: "1 to 64 characters"},
		{in: "arn:aws:iam::111122223333:role/a//b", kind: Role, err: "has path"},
	} {
		got, err := Parse(tc.in, tc.kind)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), tc.in)
		}
	}
}

func TestCanonicalRole(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::111122223333:role/dev":                                              "arn:aws:iam::111122223333:role/dev",
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/Admin_1": "arn:aws:iam::111122223333:role/Admin_1",
		"arn:aws:iam::111122223333:user/ops/alice":                                        "arn:aws:iam::111122223333:user/ops/alice",
	} {
		got, changed := CanonicalRole(in)
		if got != want || changed != (in != want) {
			t.Errorf("CanonicalRole(%s) = %s, %v; want %s", in, got, changed, want)
		}
	}
}

func TestSmallReaders(t *testing.T) {
	if got := NameOf("arn:aws:iam::111122223333:role/a/b/dev"); got != "dev" {
		t.Errorf("NameOf = %q", got)
	}
	if got := PartitionOf("arn:aws-us-gov:iam::111122223333:role/dev"); got != "aws-us-gov" {
		t.Errorf("PartitionOf = %q", got)
	}
	if got := RoleOfSession("arn:aws:sts::111122223333:assumed-role/platform/alice"); got != "arn:aws:iam::111122223333:role/platform" {
		t.Errorf("RoleOfSession = %q", got)
	}
	for p, ok := range map[string]bool{
		"111122223333": true, "arn:aws:iam::111122223333:root": true, "arn:aws:iam::111122223333:role/platform": true,
		"arn:aws:iam::111122223333:user/alice": true, "1111": false, "arn:aws:s3:::bucket": false, "arn:aws:iam::111122223333:group/x": false,
	} {
		if err := ValidateTrustedPrincipal(p); (err == nil) != ok {
			t.Errorf("ValidateTrustedPrincipal(%q) = %v", p, err)
		}
	}
}
