// Package iamarn reads the ARNs of IAM roles and users, on the AWS SDK's
// own ARN parser. It is the one place the plugin takes an ARN apart, and
// it imports nothing else of the SDK, so that packages that only validate
// or name principals (tenant records, aws-auth, kubeconfig) do not link it.
package iamarn

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// The kinds of IAM principal a grant or a chain can name.
const (
	Role = "role"
	User = "user"
)

// Principal is an IAM role or user ARN taken apart:
// arn:PARTITION:iam::ACCOUNT:KIND/PATH/NAME.
type Principal struct {
	Partition string
	Account   string
	Kind      string // Role or User
	// Path is what lies between the kind and the name ("" or
	// "aws-reserved/sso.amazonaws.com/eu-west-1/"), ending in "/".
	Path string
	Name string
}

var (
	nameRE = compiled(`^[\w+=,.@-]{1,64}$`)
	pathRE = compiled(`^([\w+=,.@-]+/)*$`)
)

// Parse reads s as an IAM role or user ARN of kind (Role or User).
func Parse(s, kind string) (Principal, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return Principal{}, fmt.Errorf("%q is not an ARN (want arn:aws:iam::ACCOUNT:%s/NAME)", s, kind)
	}
	if a.Service != "iam" || !strings.HasPrefix(a.Resource, kind+"/") {
		return Principal{}, fmt.Errorf("%q is not an IAM %s ARN (want arn:aws:iam::ACCOUNT:%s/NAME)", s, kind, kind)
	}
	if !IsAccountID(a.AccountID) {
		return Principal{}, fmt.Errorf("%q has account %q; an AWS account ID is 12 digits", s, a.AccountID)
	}
	rest := strings.TrimPrefix(a.Resource, kind+"/")
	i := strings.LastIndex(rest, "/")
	p := Principal{Partition: a.Partition, Account: a.AccountID, Kind: kind, Path: rest[:i+1], Name: rest[i+1:]}
	if !nameRE().MatchString(p.Name) {
		return Principal{}, fmt.Errorf("%q has %s name %q; a %s name is 1 to 64 characters of letters, digits and +=,.@_-", s, kind, p.Name, kind)
	}
	if !pathRE().MatchString(p.Path) {
		return Principal{}, fmt.Errorf("%q has path %q; a path is letters, digits and +=,.@_- between slashes", s, p.Path)
	}
	return p, nil
}

// ParseRole reads s as an IAM role ARN.
func ParseRole(s string) (Principal, error) { return Parse(s, Role) }

// String is the ARN.
func (p Principal) String() string {
	return "arn:" + p.Partition + ":iam::" + p.Account + ":" + p.Kind + "/" + p.Path + p.Name
}

// Canonical is the form aws-iam-authenticator and EKS compare a role by:
// they derive arn:aws:iam::ACCOUNT:role/NAME from the STS identity,
// without the role's path, so a mapping that keeps the path (SSO roles:
// role/aws-reserved/sso.amazonaws.com/...) never matches. Users keep
// theirs: STS reports a user's ARN with its path.
func (p Principal) Canonical() Principal {
	if p.Kind == Role {
		p.Path = ""
	}
	return p
}

// CanonicalRole returns the canonical form of a role ARN and whether it
// differs from s; anything that is not a role ARN comes back as it was.
func CanonicalRole(s string) (string, bool) {
	p, err := ParseRole(s)
	if err != nil {
		return s, false
	}
	c := p.Canonical().String()
	return c, c != s
}

// NameOf is the last part of a role or user ARN (its name), or s itself
// when s is not an ARN.
func NameOf(s string) string {
	if a, err := arn.Parse(s); err == nil {
		return a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	}
	return s
}

// PartitionOf is the partition of an ARN (aws, aws-cn, aws-us-gov), "aws"
// when s is not one.
func PartitionOf(s string) string {
	if a, err := arn.Parse(s); err == nil && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// IsAccountID reports whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// ValidateTrustedPrincipal checks what a trust policy may name as its
// principal: an account ID, or an IAM role, user or account-root ARN.
func ValidateTrustedPrincipal(s string) error {
	if IsAccountID(s) {
		return nil
	}
	if a, err := arn.Parse(s); err == nil && a.Service == "iam" && a.Resource == "root" && IsAccountID(a.AccountID) {
		return nil
	}
	if _, err := ParseRole(s); err == nil {
		return nil
	}
	if _, err := Parse(s, User); err == nil {
		return nil
	}
	return errors.New("give an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME) or an account ID")
}

// RoleOfSession turns the ARN STS reports for an assumed-role session
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) into the role's ARN, the
// principal a trust policy names; other ARNs come back as they were.
func RoleOfSession(s string) string {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "sts" || !strings.HasPrefix(a.Resource, "assumed-role/") {
		return s
	}
	parts := strings.Split(a.Resource, "/")
	return Principal{Partition: a.Partition, Account: a.AccountID, Kind: Role, Name: parts[1]}.String()
}

// compiled is a regular expression compiled when first used: compiling
// them all when the package loads was most of every command's start.
func compiled(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
