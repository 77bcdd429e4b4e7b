package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ResourceVerbs are the verbs a rule on resources may name, as kubectl
// create role takes them.
var ResourceVerbs = []string{"*", "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use", "bind", "escalate", "impersonate"}

// ParseResource reads a resource as kubectl create role takes it:
// RESOURCE[.GROUP][/SUBRESOURCE], no group meaning the core group.
func ParseResource(s string) (schema.GroupResource, string, error) {
	name, sub, _ := strings.Cut(s, "/")
	resource, group, _ := strings.Cut(name, ".")
	if resource == "" {
		return schema.GroupResource{}, "", fmt.Errorf("--resource %q: name the resource (pods, deployments.apps, pods/log)", s)
	}
	return schema.GroupResource{Group: group, Resource: resource}, sub, nil
}

// Rules makes the rules kubectl create role would: one per API group,
// groups in order, each with the verbs, that group's resources (with
// their subresources) and the resource names.
func Rules(verbs []string, resources []schema.GroupResource, subresources []string, resourceNames []string) []rbacv1.PolicyRule {
	byGroup := map[string][]string{}
	var groups []string
	for i, gr := range resources {
		r := gr.Resource
		if subresources[i] != "" {
			r += "/" + subresources[i]
		}
		if _, ok := byGroup[gr.Group]; !ok {
			groups = append(groups, gr.Group)
		}
		if !slices.Contains(byGroup[gr.Group], r) {
			byGroup[gr.Group] = append(byGroup[gr.Group], r)
		}
	}
	slices.Sort(groups)
	var rules []rbacv1.PolicyRule
	for _, g := range groups {
		rules = append(rules, rbacv1.PolicyRule{
			Verbs: slices.Clone(verbs), APIGroups: []string{g}, Resources: byGroup[g], ResourceNames: slices.Clone(resourceNames),
		})
	}
	return rules
}
