package tenant

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
)

// SubjectFlags are a command's ways of naming one subject; exactly one
// must be set.
type SubjectFlags struct {
	ServiceAccount string // [NS:]NAME
	User           string
	Group          string
	IAMRole        string // an ARN
	IAMUser        string // an ARN
}

// Subject parses the flags. A ServiceAccount without a namespace is in
// defaultNamespace (the tenant's first).
func (f SubjectFlags) Subject(defaultNamespace string) (Subject, error) {
	set := 0
	for _, v := range []string{f.ServiceAccount, f.User, f.Group, f.IAMRole, f.IAMUser} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return Subject{}, errors.New("name exactly one subject: --serviceaccount [NS:]NAME, --user NAME, --group NAME, --iam-role ARN or --iam-user ARN")
	}
	switch {
	case f.ServiceAccount != "":
		ns, name, found := strings.Cut(f.ServiceAccount, ":")
		if !found {
			ns, name = defaultNamespace, f.ServiceAccount
		}
		if ns == "" || name == "" || strings.Contains(name, ":") {
			return Subject{}, fmt.Errorf("--serviceaccount %q: use NAME or NAMESPACE:NAME", f.ServiceAccount)
		}
		return Subject{Kind: SubjectServiceAccount, Namespace: ns, Name: name}, nil
	case f.User != "":
		return Subject{Kind: SubjectUser, Name: f.User}, nil
	case f.IAMRole != "":
		return Subject{Kind: SubjectIAMRole, Name: f.IAMRole}, nil
	case f.IAMUser != "":
		return Subject{Kind: SubjectIAMUser, Name: f.IAMUser}, nil
	default:
		return Subject{Kind: SubjectGroup, Name: f.Group}, nil
	}
}

// String is the subject as the flags would name it.
func (s Subject) String() string {
	switch s.Kind {
	case SubjectServiceAccount:
		return "serviceaccount " + s.Namespace + ":" + s.Name
	case SubjectGroup:
		return "group " + s.Name
	case SubjectIAMRole:
		return "IAM role " + s.Name
	case SubjectIAMUser:
		return "IAM user " + s.Name
	default:
		return "user " + s.Name
	}
}

// ServiceAccountSubject parses a --serviceaccount flag for a tenant and
// checks that the ServiceAccount is in one of the tenant's namespaces.
func (t *Tenant) ServiceAccountSubject(flag string) (Subject, error) {
	s, err := (SubjectFlags{ServiceAccount: flag}).Subject(t.Spec.Namespaces[0])
	if err != nil {
		return Subject{}, err
	}
	for _, ns := range t.Spec.Namespaces {
		if ns == s.Namespace {
			return s, nil
		}
	}
	return Subject{}, fmt.Errorf("ServiceAccount %s:%s is outside tenant %q's namespaces %v", s.Namespace, s.Name, t.Name, t.Spec.Namespaces)
}

// Canonical is the subject in the form that authenticates: a role ARN
// without its path (see iamarn.Principal.Canonical). changed reports a
// rewrite, which commands tell the user about.
func (s Subject) Canonical() (c Subject, changed bool) {
	if s.Kind != SubjectIAMRole {
		return s, false
	}
	s.Name, changed = iamarn.CanonicalRole(s.Name)
	return s, changed
}
