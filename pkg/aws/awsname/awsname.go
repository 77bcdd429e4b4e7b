// Package awsname holds the shapes AWS gives the names an identity is
// made of: regions, role session names, external IDs and EKS cluster
// names. Tenant records, flags and the signer check names with the same
// predicates, so that a name is valid or not wherever it is read. It
// imports only the standard library: the signer links it without the
// tenant record and its Kubernetes machinery.
package awsname

import (
	"strings"
	"time"
)

// What each shape is, said to the user who gave another.
const (
	RegionShape      = "not an AWS region name (such as eu-west-1)"
	ExternalIDShape  = "2 to 1224 characters of letters, digits and +=,.@:/-"
	SessionNameShape = "2 to 64 characters of letters, digits and +=,.@_-"
	ClusterNameShape = "EKS takes 1 to 100 letters, digits, - and _, starting with a letter or digit"
)

// The bounds of an assumed role's session.
const (
	MinRoleSession = 15 * time.Minute
	MaxRoleSession = 12 * time.Hour
)

// MaxRoleChain is the longest chain of roles an identity takes.
const MaxRoleChain = 16

// IsRegion reports whether s has the shape of an AWS region name: two
// lowercase letters, one or more words of lowercase letters, and a digit,
// joined by hyphens (eu-west-1, us-gov-east-1).
func IsRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || !only(parts[0], isLower) {
		return false
	}
	for _, w := range parts[1 : len(parts)-1] {
		if w == "" || !only(w, isLower) {
			return false
		}
	}
	last := parts[len(parts)-1]
	return len(last) == 1 && isDigit(last[0])
}

// IsExternalID reports whether s is a valid sts:ExternalId.
func IsExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && only(s, func(c byte) bool { return isWord(c) || strings.IndexByte("+=,.@:/-", c) >= 0 })
}

// IsSessionName reports whether s is a valid role session name.
func IsSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && only(s, func(c byte) bool { return isWord(c) || strings.IndexByte("+=,.@-", c) >= 0 })
}

// IsEKSClusterName reports whether s is a name EKS takes for a cluster.
func IsEKSClusterName(s string) bool {
	return len(s) >= 1 && len(s) <= 100 && isAlnum(s[0]) && only(s, func(c byte) bool { return isWord(c) || c == '-' })
}

// These are checked by hand rather than by regular expressions: compiling
// the expressions was a tenth of a cold signer's work on every token.

func only(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || c >= 'A' && c <= 'Z' || isDigit(c) }

// isWord is a regular expression's \w: ASCII letters, digits and _.
func isWord(c byte) bool { return isAlnum(c) || c == '_' }
