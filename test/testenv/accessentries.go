package testenv

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go/middleware"
)

// AccessEntries is a fake of EKS's access-entry API, served through the
// AWS SDK's request-level stubbing: a middleware answers each call before
// it is sent. It is a fake because nothing real serves these calls here
// (moto answers them 404). It records every call in order, and can fail
// one of them.
type AccessEntries struct {
	mu sync.Mutex
	// Calls are the operations made, in order, with the principal ARN.
	Calls []string
	// FailCall, when set, makes the call with that 1-based number fail
	// with a server error.
	FailCall int
	entries  map[string]*ekstypes.AccessEntry
	policies map[string]map[string][]string // principal -> policy ARN -> namespaces
}

// NewAccessEntries returns an empty fake.
func NewAccessEntries() *AccessEntries {
	return &AccessEntries{entries: map[string]*ekstypes.AccessEntry{}, policies: map[string]map[string][]string{}}
}

// Options put the fake in front of every EKS call of a client made with them.
func (f *AccessEntries) Options() []func(*config.LoadOptions) error {
	return []func(*config.LoadOptions) error{config.WithAPIOptions([]func(*middleware.Stack) error{func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("access-entries-fake", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, err := f.serve(in.Parameters)
			return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, err
		}), middleware.Before)
	}})}
}

// Reset forgets the calls and the failure, keeping the entries.
func (f *AccessEntries) Reset(failCall int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls, f.FailCall = nil, failCall
}

// Entry returns a principal's entry and its policies (ARN -> namespaces).
func (f *AccessEntries) Entry(principal string) (*ekstypes.AccessEntry, map[string][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entries[principal], f.policies[principal]
}

func (f *AccessEntries) serve(params any) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	record := func(op, principal string) error {
		f.Calls = append(f.Calls, op+" "+principal)
		if len(f.Calls) == f.FailCall {
			return &ekstypes.ServerException{Message: awssdk.String(fmt.Sprintf("injected failure of call %d (%s)", f.FailCall, op))}
		}
		return nil
	}
	notFound := func(p string) error {
		return &ekstypes.ResourceNotFoundException{Message: awssdk.String("no access entry for " + p)}
	}
	switch in := params.(type) {
	case *eks.DescribeAccessEntryInput:
		p := awssdk.ToString(in.PrincipalArn)
		if err := record("DescribeAccessEntry", p); err != nil {
			return nil, err
		}
		e := f.entries[p]
		if e == nil {
			return nil, notFound(p)
		}
		c := *e
		c.KubernetesGroups = slices.Clone(e.KubernetesGroups)
		return &eks.DescribeAccessEntryOutput{AccessEntry: &c}, nil
	case *eks.CreateAccessEntryInput:
		p := awssdk.ToString(in.PrincipalArn)
		if err := record("CreateAccessEntry", p); err != nil {
			return nil, err
		}
		if f.entries[p] != nil {
			return nil, &ekstypes.ResourceInUseException{Message: awssdk.String("the access entry exists")}
		}
		f.entries[p] = &ekstypes.AccessEntry{PrincipalArn: in.PrincipalArn, ClusterName: in.ClusterName, Type: in.Type,
			Username: in.Username, KubernetesGroups: slices.Clone(in.KubernetesGroups), Tags: in.Tags}
		return &eks.CreateAccessEntryOutput{AccessEntry: f.entries[p]}, nil
	case *eks.UpdateAccessEntryInput:
		p := awssdk.ToString(in.PrincipalArn)
		if err := record("UpdateAccessEntry", p); err != nil {
			return nil, err
		}
		e := f.entries[p]
		if e == nil {
			return nil, notFound(p)
		}
		e.Username, e.KubernetesGroups = in.Username, slices.Clone(in.KubernetesGroups)
		return &eks.UpdateAccessEntryOutput{AccessEntry: e}, nil
	case *eks.DeleteAccessEntryInput:
		p := awssdk.ToString(in.PrincipalArn)
		if err := record("DeleteAccessEntry", p); err != nil {
			return nil, err
		}
		if f.entries[p] == nil {
			return nil, notFound(p)
		}
		delete(f.entries, p)
		delete(f.policies, p)
		return &eks.DeleteAccessEntryOutput{}, nil
	case *eks.AssociateAccessPolicyInput:
		p := awssdk.ToString(in.PrincipalArn)
		if err := record("AssociateAccessPolicy", p); err != nil {
			return nil, err
		}
		if f.entries[p] == nil {
			return nil, notFound(p)
		}
		if f.policies[p] == nil {
			f.policies[p] = map[string][]string{}
		}
		f.policies[p][awssdk.ToString(in.PolicyArn)] = slices.Clone(in.AccessScope.Namespaces)
		return &eks.AssociateAccessPolicyOutput{}, nil
	case *eks.DisassociateAccessPolicyInput:
		p := awssdk.ToString(in.PrincipalArn)
		if err := record("DisassociateAccessPolicy", p); err != nil {
			return nil, err
		}
		delete(f.policies[p], awssdk.ToString(in.PolicyArn))
		return &eks.DisassociateAccessPolicyOutput{}, nil
	case *eks.ListAssociatedAccessPoliciesInput:
		// A read, not recorded: FailCall counts the calls that change or
		// describe an entry.
		p := awssdk.ToString(in.PrincipalArn)
		if f.entries[p] == nil {
			return nil, notFound(p)
		}
		out := &eks.ListAssociatedAccessPoliciesOutput{ClusterName: in.ClusterName, PrincipalArn: in.PrincipalArn}
		for _, arn := range slices.Sorted(maps.Keys(f.policies[p])) {
			out.AssociatedAccessPolicies = append(out.AssociatedAccessPolicies, ekstypes.AssociatedAccessPolicy{PolicyArn: awssdk.String(arn),
				AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: slices.Clone(f.policies[p][arn])}})
		}
		return out, nil
	}
	return nil, fmt.Errorf("the access-entries fake does not serve %T", params)
}
