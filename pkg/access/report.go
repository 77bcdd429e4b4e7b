package access

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
)

// ReportKind is the kind of the document `kubectl tenant access -o`
// prints.
const ReportKind = "AccessReport"

// Report is who can do what in a tenant, as one document: the matrix,
// the IAM principals' trace, and the verification when one was asked for.
type Report struct {
	metav1.TypeMeta `json:",inline"`
	Matrix          *Matrix        `json:"matrix"`
	IAM             []IAMPrincipal `json:"iam,omitempty"`
	WorkloadRoles   []WorkloadRole `json:"workloadRoles,omitempty"`
	Verify          *Verification  `json:"verify,omitempty"`
}

// NewReport makes a report of its parts.
func NewReport(m *Matrix, iam []IAMPrincipal, wl []WorkloadRole, v *Verification) *Report {
	return &Report{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: ReportKind}, Matrix: m, IAM: iam, WorkloadRoles: wl, Verify: v}
}

// DeepCopyObject implements runtime.Object, so that kubectl's printers
// print a report.
func (r *Report) DeepCopyObject() runtime.Object { return jsonCopy(r) }

// jsonCopy copies a report through JSON: a report is printed once, so
// that is copy enough. It returns nil when in does not encode.
func jsonCopy[T any](in *T) *T {
	data, err := json.Marshal(in)
	if err != nil {
		return nil
	}
	out := new(T)
	if err := json.Unmarshal(data, out); err != nil {
		return nil
	}
	return out
}

// ReportListKind is the kind of the document `kubectl tenant access --all
// -o` prints.
const ReportListKind = "AccessReportList"

// ReportList is who can do what in every tenant of a registry.
type ReportList struct {
	metav1.TypeMeta `json:",inline"`
	Items           []TenantReport `json:"items"`
}

// TenantReport is one tenant's part of a ReportList: its report, or the
// error that kept it from being read.
type TenantReport struct {
	Tenant        string         `json:"tenant"`
	Error         string         `json:"error,omitempty"`
	Matrix        *Matrix        `json:"matrix,omitempty"`
	IAM           []IAMPrincipal `json:"iam,omitempty"`
	WorkloadRoles []WorkloadRole `json:"workloadRoles,omitempty"`
	Verify        *Verification  `json:"verify,omitempty"`
}

// NewReportList makes an empty list.
func NewReportList() *ReportList {
	return &ReportList{TypeMeta: metav1.TypeMeta{APIVersion: tenant.APIVersion, Kind: ReportListKind}}
}

// DeepCopyObject implements runtime.Object, as Report's does.
func (l *ReportList) DeepCopyObject() runtime.Object { return jsonCopy(l) }
