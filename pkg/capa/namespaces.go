package capa

import (
	"fmt"
	"reflect"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"
)

// Admits reports whether an identity whose spec.allowedNamespaces is
// allowed lets a cluster in namespace ns (with nsLabels) use it, as CAPA
// v2.13.0 decides (pkg/cloud/scope/session.go,
// isClusterPermittedToUsePrincipal), which is not what its docs say:
//
//   - nil (the field absent) admits no namespace;
//   - a value equal to the zero value admits every namespace: {}, and
//     {selector: {}} too, since the selector is a struct, not a pointer;
//   - otherwise a namespace in list is admitted, or one the selector
//     matches, and an empty selector ({matchLabels: {}}) matches none;
//     {list: []} is not the zero value (an empty list is not a nil one),
//     so it admits none.
//
// A selector that does not parse is an error, as it is for CAPA.
func Admits(allowed *infrav1.AllowedNamespaces, ns string, nsLabels map[string]string) (bool, error) {
	if allowed == nil {
		return false, nil
	}
	if AdmitsEvery(allowed) {
		return true, nil
	}
	if slices.Contains(allowed.NamespaceList, ns) {
		return true, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(&allowed.Selector)
	if err != nil {
		return false, fmt.Errorf("allowedNamespaces.selector: %w", err)
	}
	if selector.Empty() {
		return false, nil
	}
	return selector.Matches(labels.Set(nsLabels)), nil
}

// AdmitsOnly is what the plugin writes for a tenant: the tenant's
// namespace by name, and no selector (a selector can be widened by
// labelling any namespace; a name cannot).
func AdmitsOnly(ns string) *infrav1.AllowedNamespaces {
	return &infrav1.AllowedNamespaces{NamespaceList: []string{ns}}
}

// AdmitsEvery reports whether allowed is the zero value ({}, or
// {selector: {}}), which CAPA reads as every namespace.
func AdmitsEvery(allowed *infrav1.AllowedNamespaces) bool {
	return allowed != nil && reflect.DeepEqual(*allowed, infrav1.AllowedNamespaces{})
}
