package awsname

import (
	"regexp"
	"strings"
	"testing"
)

// The shapes as the AWS documentation and the Tenant CRD state them. The
// predicates check by hand what these expressions match, and must agree
// with them on every input.
var stated = []struct {
	name string
	is   func(string) bool
	re   *regexp.Regexp
}{
	{"region", IsRegion, regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)},
	// RE2 repeats at most 1000 times: the expression has no length, and
	// statedMatch bounds it.
	{"external ID", IsExternalID, regexp.MustCompile(`^[\w+=,.@:/-]+$`)},
	{"session name", IsSessionName, regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)},
	{"EKS cluster name", IsEKSClusterName, regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)},
}

var samples = []string{
	"", "a", "eu-west-1", "us-gov-east-1", "eu-west-", "eu--west-1", "eu-west-12", "eu-west-a",
	"EU-west-1", "e-west-1", "eur-west-1", "eu-1", "eu-west-1 ", "-eu-west-1", "eu-west-１",
	"ab", "acme-x1", "a:b/c@d", "x y", "tenant_role", "Acme", "1acme", "_acme", "-acme", "acme-",
	"acme\n", "ünïcode", "+=,.@-", "ok@example.com",
	strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("a", 100), strings.Repeat("a", 101),
	strings.Repeat("b", 1224), strings.Repeat("b", 1225),
}

func TestPredicatesMatchTheStatedShapes(t *testing.T) {
	for _, s := range stated {
		for _, in := range samples {
			if got, want := s.is(in), statedMatch(s.name, s.re, in); got != want {
				t.Errorf("%s %q: %v, the stated shape says %v", s.name, in, got, want)
			}
		}
	}
}

func FuzzPredicatesMatchTheStatedShapes(f *testing.F) {
	for _, in := range samples {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, s := range stated {
			if got, want := s.is(in), statedMatch(s.name, s.re, in); got != want {
				t.Errorf("%s %q: %v, the stated shape says %v", s.name, in, got, want)
			}
		}
	})
}

func statedMatch(name string, re *regexp.Regexp, s string) bool {
	if name == "external ID" && (len(s) < 2 || len(s) > 1224) {
		return false
	}
	return re.MatchString(s)
}
