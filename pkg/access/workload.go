package access

import (
	"fmt"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/workload"
)

// WorkloadRole is one of the tenant's workload roles as IAM has it: the
// ServiceAccount that assumes it, how, the role and its managed
// policies, whether the plugin made it, and the error that kept it from
// being read.
type WorkloadRole struct {
	ServiceAccount string   `json:"serviceAccount"`
	Via            string   `json:"via"`
	Role           string   `json:"role"`
	Policies       []string `json:"policies,omitempty"`
	MadeByPlugin   bool     `json:"madeByPlugin"`
	Error          string   `json:"error,omitempty"`
}

// WorkloadFinding is what a workload role's trust admits beyond its
// ServiceAccount, or lacks.
type WorkloadFinding struct {
	ServiceAccount   string `json:"serviceAccount"`
	Role             string `json:"role"`
	workload.Finding `json:",inline"`
}

func (f WorkloadFinding) String() string {
	return fmt.Sprintf("workload role %s of %s: %s", f.Role, f.ServiceAccount, f.Finding)
}
