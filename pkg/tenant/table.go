package tenant

import (
	"strconv"
	"strings"
)

// Columns are the columns of a table of tenant records, those kubectl get
// tenants prints from the CRD.
var Columns = []string{"NAME", "CONTEXT", "REGION", "NAMESPACES", "GRANTS", "READY"}

// Row is the record's row of that table.
func (t *Tenant) Row() []string {
	region, ready := "-", "-"
	if t.Spec.AWS != nil && t.Spec.AWS.Region != "" {
		region = t.Spec.AWS.Region
	}
	for _, c := range t.Status.Conditions {
		if c.Type == ConditionReady {
			ready = string(c.Status)
			break
		}
	}
	return []string{t.Name, t.Spec.Cluster.Context, region, strings.Join(t.Spec.Namespaces, ","), strconv.Itoa(len(t.Spec.Grants)), ready}
}
