package reconcile

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/access"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/apply"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/cluster"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/tenant"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/workloadrole"
)

// Verdict is what applying one document did to its tenant, in kubectl
// apply's words.
type Verdict string

// The verdicts.
const (
	Created    Verdict = "created"
	Configured Verdict = "configured"
	Unchanged  Verdict = "unchanged"
)

// Applied is the outcome of applying one document.
type Applied struct {
	Name    string
	Verdict Verdict
	// Report is the last reconcile's.
	Report *Report
	// Diff holds, for a dry run, the diff of the record and of every
	// object that would change, then what the IAM mappings would do.
	Diff bytes.Buffer
	// Log holds what was done, one line per object changed.
	Log bytes.Buffer
}

// Document applies one Tenant document: the record becomes the
// three-way merge of the document, the record and what the last apply
// wrote (tenant.MergeSpec), and the tenant's cluster is reconciled to it.
// The status is written back with every condition stamped with the
// generation it speaks of. When someone changes the record meanwhile
// (another apply, a grant), the newer record is reconciled too, so that
// the last one to finish leaves the cluster as the record says.
//
// connect reaches a tenant's cluster (by its kubeconfig context). A dry
// run writes nothing to the registry or the cluster and fills Diff
// instead. A new EKS tenant's cluster is made or adopted first (package
// provision): connect then finds its context in the record.
func Document(ctx context.Context, reg tenant.Registry, connect func(*tenant.Tenant) (*cluster.Connection, error), doc *tenant.Tenant, o Options) (*Applied, error) {
	if o.FieldManager == "" {
		o.FieldManager = tenant.FieldManager
	}
	out, err := document(ctx, reg, connect, doc, o)
	if errors.Is(err, tenant.ErrExists) {
		// Another apply recorded the new tenant first: merge into theirs.
		return document(ctx, reg, connect, doc, o)
	}
	return out, err
}

func document(ctx context.Context, reg tenant.Registry, connect func(*tenant.Tenant) (*cluster.Connection, error), doc *tenant.Tenant, o Options) (*Applied, error) {
	out := &Applied{Name: doc.Name}
	current, err := reg.Get(ctx, doc.Name)
	if errors.Is(err, tenant.ErrNotFound) {
		current, err = nil, nil
	}
	if err != nil {
		return out, err
	}
	next, err := merged(current, doc, o.FieldManager)
	if err != nil {
		return out, err
	}
	if err := checkWorkloadRoles(current, next, o.Prune); err != nil {
		return out, err
	}
	capaWrites := 0 // of the Cluster API objects a recorded CAPA tenant's document declares
	if current == nil && next.Spec.Cluster.EKS != nil {
		// Before the cluster is made, by the registry alone; once it is
		// reached, again with what it says.
		quiet := access.Admission{Registry: reg, Batch: o.Batch, AllowCrossTenant: o.AllowCrossTenant}
		if err := quiet.Admit(ctx, next, doc.Spec.Grants); err != nil {
			return out, err
		}
	}
	switch {
	case newEKSCluster(current, next) && o.Mode != Change:
		if err := writeRecordDiff(&out.Diff, current, next); err != nil {
			return out, err
		}
		out.Verdict = Created
		return out, previewEKS(ctx, reg, next, o, &out.Diff)
	case newEKSCluster(current, next):
		if err := provisionEKS(ctx, reg, next, o, &out.Log); err != nil {
			return out, err
		}
	case newCAPACluster(current, next) && o.Mode != Change:
		if err := writeRecordDiff(&out.Diff, current, next); err != nil {
			return out, err
		}
		out.Verdict = Created
		return out, previewCAPA(ctx, reg, next, o, &out.Diff)
	case newCAPACluster(current, next):
		if err := provisionCAPA(ctx, reg, next, o, &out.Log); err != nil {
			return out, err
		}
	case newNodegroup(current, next) && o.Mode != Change:
		fmt.Fprintf(&out.Diff, "would create node group %s in EKS cluster %s unless it exists\n", next.Spec.Cluster.EKS.Nodegroup.Name, next.Spec.Cluster.EKS.Name)
	case newNodegroup(current, next):
		if err := addNodegroup(ctx, next, o, &out.Log); err != nil {
			return out, err
		}
	}
	conn, err := connect(next)
	if err != nil {
		return out, fmt.Errorf("spec.cluster.context: %w", err)
	}
	if err := pinServer(next, conn); err != nil {
		return out, err
	}
	admission := access.Admission{Client: conn.Client, Registry: reg, Batch: o.Batch, AllowCrossTenant: o.AllowCrossTenant, Warn: o.Warn}
	// Every grant the document asks for, on every apply, as grant checks
	// every time: what the record holds may have come from anywhere. The
	// cluster's part is bounded as a reconcile is.
	if err := admitBounded(ctx, admission, next, doc.Spec.Grants, o.ClusterTimeout); err != nil {
		return out, err
	}
	if declaredCAPA(current, next) {
		// Once every check of the document has passed, as the record is
		// written next.
		w := &out.Log
		if o.Mode != Change {
			w = &out.Diff
		}
		if capaWrites, err = reapplyCAPA(ctx, reg, current, next, o, w); err != nil {
			return out, err
		}
	}
	// What the document drops of its workload roles and add-ons goes
	// with --prune once every check has passed, before the record
	// forgets it; what it declares is made after the reconcile, once its
	// namespaces are the tenant's.
	workload := &apply.Results{}
	wlog := &out.Log
	if o.Mode != Change {
		wlog = &out.Diff
	}
	if err := pruneWorkloadRoles(ctx, conn, current, next, o, workload, wlog); err != nil {
		return out, err
	}
	recordChanged := current == nil || !sameRecord(current, next)

	if o.Mode != Change {
		if recordChanged {
			if err := writeRecordDiff(&out.Diff, current, next); err != nil {
				return out, err
			}
		}
		o.Out = &out.Diff
		out.Report = bounded(ctx, conn, current, next, o)
		for _, r := range sorted(out.Report.Results.List()) {
			if err := apply.WriteDiff(&out.Diff, r); err != nil {
				return out, err
			}
		}
		makeWorkloadRoles(ctx, conn, reg, next.DeepCopy(), o, out.Report, workload, &out.Diff)
		logChanged(&out.Diff, workload.List(), " (server dry run)")
		out.Verdict = verdict(current == nil, recordChanged || capaWrites+workload.Writes()+out.Report.Results.Writes() > 0)
		return out, out.Report.Err()
	}

	if current == nil {
		if err := reg.Create(ctx, next); err != nil {
			return out, err
		}
	} else if recordChanged {
		err := reg.Edit(ctx, doc.Name, func(cur *tenant.Tenant) (bool, error) {
			n, err := merged(cur, doc, o.FieldManager)
			if err != nil {
				return false, err
			}
			if err := pinServer(n, conn); err != nil {
				return false, err
			}
			if e, p := n.Spec.Cluster.EKS, next.Spec.Cluster.EKS; e != nil && p != nil && e.NodeRoleARN == "" {
				e.NodeRoleARN, e.NodeRoleCreated = p.NodeRoleARN, p.NodeRoleCreated // the node group just made
			}
			changed := !sameRecord(cur, n)
			*cur = *n
			return changed, nil
		})
		if err != nil {
			return out, err
		}
	}

	writes := capaWrites + workload.Writes()
	logChanged(&out.Log, workload.List(), "")
	o.Out = &out.Log
	before := current
	for range 3 {
		t, err := reg.Get(ctx, doc.Name)
		if err != nil {
			return out, err
		}
		out.Report = bounded(ctx, conn, before, t, o)
		writes += out.Report.Results.Writes()
		logChanged(&out.Log, sorted(out.Report.Results.List()), "")
		made, wl := t.DeepCopy(), &apply.Results{}
		makeWorkloadRoles(ctx, conn, reg, made, o, out.Report, wl, &out.Log)
		writes += wl.Writes()
		logChanged(&out.Log, wl.List(), "")
		if err := reg.Edit(ctx, doc.Name, func(cur *tenant.Tenant) (bool, error) { return keepMade(cur, made), nil }); err != nil {
			return out, err // what was made is found again, and recorded, by the next apply
		}
		moved := false
		err = reg.Edit(ctx, doc.Name, func(cur *tenant.Tenant) (bool, error) {
			moved = cur.Generation != t.Generation
			return setStatus(cur, t.Generation, conn, out.Report), nil
		})
		if err != nil || !moved {
			out.Verdict = verdict(current == nil, recordChanged || writes > 0)
			return out, errors.Join(err, out.Report.Err())
		}
		before = t
	}
	out.Verdict = verdict(current == nil, true)
	return out, errors.Join(out.Report.Err(), fmt.Errorf("tenant %q kept changing while it was applied; apply again", doc.Name))
}

func admitBounded(ctx context.Context, a access.Admission, t *tenant.Tenant, grants []tenant.Grant, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return a.Admit(ctx, t, grants)
}

// bounded reconciles within o.ClusterTimeout: an unanswering cluster
// costs that long, and the registry is still written with what was found.
func bounded(ctx context.Context, conn *cluster.Connection, before, t *tenant.Tenant, o Options) *Report {
	if o.ClusterTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.ClusterTimeout)
		defer cancel()
	}
	return Tenant(ctx, conn, before, t, o)
}

// merged is the record an apply of doc makes of current (nil: none).
func merged(current, doc *tenant.Tenant, manager string) (*tenant.Tenant, error) {
	if err := sameCAPACluster(current, doc); err != nil {
		return nil, err
	}
	next := tenant.New(doc.Name)
	var last *tenant.Spec
	var others []tenant.Spec
	if current != nil {
		next = current.DeepCopy()
		var err error
		if last, others, err = tenant.LastApplied(current, manager); err != nil {
			return nil, err
		}
		if c, d := current.Spec.Cluster, doc.Spec.Cluster; d.Context != "" && c.Context != "" && c.Context != d.Context {
			return nil, fmt.Errorf("spec.cluster.context: tenant %q is on context %q, not %q; a tenant does not move between clusters (delete it and apply again)", doc.Name, c.Context, d.Context)
		}
		if c, d := current.Spec.Cluster.EKS, doc.Spec.Cluster.EKS; d != nil && c != nil && c.Name != d.Name {
			return nil, fmt.Errorf("spec.cluster.eks.name: tenant %q is on EKS cluster %s, not %s; a tenant does not move between clusters (delete it and apply again)", doc.Name, c.Name, d.Name)
		}
	}
	if doc.Spec.Cluster.EKS != nil && current != nil && current.Spec.Cluster.EKS == nil {
		return nil, fmt.Errorf("spec.cluster.eks: tenant %q is on context %q, not on an EKS cluster; %w", doc.Name, current.Spec.Cluster.Context, errNoMove)
	}
	applied := doc.Spec
	applied.WorkloadRoles = nil // resolved as the record keeps them, the document left as it is
	for _, w := range doc.Spec.WorkloadRoles {
		w.PolicyARNs = slices.Clone(w.PolicyARNs)
		applied.WorkloadRoles = append(applied.WorkloadRoles, w.Resolved(doc))
	}
	applied.Addons = nil
	for _, a := range doc.Spec.Addons {
		applied.Addons = append(applied.Addons, workloadrole.ResolveAddon(doc, a))
	}
	next.Spec = tenant.MergeSpec(last, others, applied, next.Spec)
	if current != nil {
		if err := samePlace(current, next); err != nil {
			return nil, err
		}
		if err := sameCAPAObjects(current, next); err != nil {
			return nil, err
		}
	}
	if next.Spec.Cluster.EKS != nil && next.Spec.Cluster.Context == "" {
		next.Spec.Cluster.Context = doc.Name // as create names an EKS tenant's context
	}
	if c := next.Spec.Cluster.CAPA; c != nil && current == nil {
		made := *c                  // the document's own stays as it was given
		made.CreatedByPlugin = true // apply makes the objects a new tenant's document declares
		next.Spec.Cluster.CAPA = &made
	}
	next.Labels = mergeStrings(next.Labels, doc.Labels)
	next.Annotations = mergeStrings(next.Annotations, doc.Annotations)
	if err := tenant.SetLastApplied(next, manager, applied); err != nil {
		return nil, err
	}
	if errs := tenant.Validate(next); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return next, nil
}

// sameCAPACluster refuses a document that would move a tenant onto,
// off or between Cluster API clusters, and a new tenant's document
// whose Cluster apply would not make (apply makes one named after the
// tenant; one someone else declared is adopted with create --from-capa).
func sameCAPACluster(current, doc *tenant.Tenant) error {
	d := doc.Spec.Cluster.CAPA
	if current == nil {
		if d != nil && d.Name != doc.Name {
			return fmt.Errorf("spec.cluster.capa.name: apply makes tenant %q's Cluster, named %q: name it so, or adopt Cluster %s/%s with `kubectl tenant create %s --from-capa %s/%s`", doc.Name, doc.Name, d.Namespace, d.Name, doc.Name, d.Namespace, d.Name)
		}
		return nil
	}
	c := current.Spec.Cluster.CAPA
	switch {
	case c == nil && d != nil:
		return fmt.Errorf("spec.cluster.capa: tenant %q is on %s, not on a Cluster API cluster; %w", doc.Name, current.Spec.Cluster.Context, errNoMove)
	case c != nil && d == nil:
		return fmt.Errorf("spec.cluster.capa: tenant %q's cluster is Cluster %s/%s of a management cluster: keep spec.cluster.capa in its document (`kubectl tenant get %s -o yaml` prints it)", doc.Name, c.Namespace, c.Name, doc.Name)
	case c == nil:
		return nil
	case c.Namespace != d.Namespace || c.Name != d.Name:
		return fmt.Errorf("spec.cluster.capa: tenant %q's cluster is Cluster %s/%s, not %s/%s; %w", doc.Name, c.Namespace, c.Name, d.Namespace, d.Name, errNoMove)
	case d.ManagementContext != "" && d.ManagementContext != c.ManagementContext:
		return fmt.Errorf("spec.cluster.capa.managementContext: tenant %q's Cluster API objects are in the management cluster of context %q, not %q; %w", doc.Name, c.ManagementContext, d.ManagementContext, errNoMove)
	}
	return nil
}

// sameCAPAObjects refuses a merged record that would change what a CAPA
// tenant's Cluster API objects are without apply being able to make it
// so: for a Cluster someone else declared (adopted), any change of the
// cluster or the role chain, which are read from their objects (adopt it
// again with create --from-capa); for one the plugin made, a chain of
// another length or a node group renamed or dropped, which would leave
// an identity or a machine pool behind that no record names.
func sameCAPAObjects(current, next *tenant.Tenant) error {
	c := current.Spec.Cluster.CAPA
	if c == nil {
		return nil
	}
	was, is := current.Spec, next.Spec
	if !c.CreatedByPlugin {
		if !reflect.DeepEqual(was.Cluster.EKS, is.Cluster.EKS) || !reflect.DeepEqual(was.AWS.RoleARNs, is.AWS.RoleARNs) || was.AWS.ExternalID != is.AWS.ExternalID {
			return fmt.Errorf("spec.cluster.eks, spec.aws: tenant %q's Cluster %s/%s was declared by someone else and adopted: its cluster and role chain are read from its objects, not set by a document; change them there, then adopt it again with `kubectl tenant create %s --from-capa %s/%s`",
				current.Name, c.Namespace, c.Name, current.Name, c.Namespace, c.Name)
		}
		return nil
	}
	if len(was.AWS.RoleARNs) != len(is.AWS.RoleARNs) {
		return fmt.Errorf("spec.aws.roleARNs: tenant %q's chain has %d roles, each an AWSClusterRoleIdentity in the management cluster; a document may change the roles but not how many (apply would leave an identity admitting the namespace behind): delete the tenant and apply again",
			current.Name, len(was.AWS.RoleARNs))
	}
	if n := was.Cluster.EKS.Nodegroup; n != nil && (is.Cluster.EKS.Nodegroup == nil || is.Cluster.EKS.Nodegroup.Name != n.Name) {
		return fmt.Errorf("spec.cluster.eks.nodegroup: tenant %q's node group %s is a MachinePool in the management cluster; a document may resize it but not rename or drop it (apply would leave its machines running)", current.Name, n.Name)
	}
	return nil
}

// samePlace refuses a record that would put a recorded EKS tenant's
// cluster in another region or account than the one it is in: every
// command finds the cluster (and delete its roles) by these, so they do
// not change while the cluster is the tenant's. The role chain may
// change, as long as its last role acts in the cluster's account.
func samePlace(current, next *tenant.Tenant) error {
	c, n := current.Spec.AWS, next.Spec.AWS
	if current.Spec.Cluster.EKS == nil || c == nil || n == nil {
		return nil
	}
	name := current.Spec.Cluster.EKS.Name
	if c.Region != n.Region {
		return fmt.Errorf("spec.aws.region: tenant %q's EKS cluster %s is in %s, not %s; %w", current.Name, name, c.Region, n.Region, errNoMove)
	}
	account := func(a *tenant.AWS) string {
		if len(a.RoleARNs) == 0 {
			return ""
		}
		p, err := iamarn.ParseRole(a.RoleARNs[len(a.RoleARNs)-1])
		if err != nil {
			return ""
		}
		return p.Account
	}
	if was, is := account(c), account(n); was != "" && is != "" && was != is {
		return fmt.Errorf("spec.aws.roleARNs: tenant %q's EKS cluster %s is in account %s, but the last role would act in %s; %w", current.Name, name, was, is, errNoMove)
	}
	return nil
}

// pinServer records the server a tenant's context reaches, and refuses
// a context that now reaches another one than was recorded (for an EKS
// tenant, than its cluster's endpoint: a context of that name made for
// something else).
func pinServer(t *tenant.Tenant, conn *cluster.Connection) error {
	same := func(a, b string) bool { return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }
	switch s := t.Spec.Cluster.Server; {
	case t.Spec.Cluster.EKS != nil:
		if e := t.Status.Server; e != "" && !same(e, conn.Server) {
			return fmt.Errorf("spec.cluster.context: context %q reaches %s, not EKS cluster %s's endpoint %s; rename or delete that context, and apply again to add the tenant's own", conn.Context, conn.Server, t.Spec.Cluster.EKS.Name, e)
		}
	case s == "":
		t.Spec.Cluster.Server = conn.Server
	case s != conn.Server:
		return fmt.Errorf("spec.cluster.server: context %q now reaches %s, but tenant %q was recorded on %s; point the context back, or delete the tenant and apply again", conn.Context, conn.Server, t.Name, s)
	}
	return nil
}

// setStatus writes what a reconcile of generation found into t's status
// and reports whether it changed. A condition keeps its transition time
// while its status holds.
func setStatus(t *tenant.Tenant, generation int64, conn *cluster.Connection, r *Report) bool {
	before := t.Status
	before.Conditions = slices.Clone(t.Status.Conditions)
	t.Status.ObservedGeneration = generation
	t.Status.Grants = r.Grants
	if r.ServerVersion != "" {
		t.Status.KubernetesVersion = r.ServerVersion
		if t.Spec.Cluster.EKS == nil {
			t.Status.Server = conn.Server
		}
	}
	for _, c := range r.Conditions {
		c.ObservedGeneration = generation
		meta.SetStatusCondition(&t.Status.Conditions, c)
	}
	return !reflect.DeepEqual(before, t.Status)
}

// sameRecord reports whether two records say the same, status aside.
func sameRecord(a, b *tenant.Tenant) bool {
	return tenant.SameSpec(a.Spec, b.Spec) && maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations)
}

// writeRecordDiff writes the diff of the record, without the server's
// fields and the last-applied annotation (which only repeats the spec).
func writeRecordDiff(w *bytes.Buffer, current, next *tenant.Tenant) error {
	strip := func(t *tenant.Tenant) *tenant.Tenant {
		if t == nil {
			return nil
		}
		t = t.DeepCopy()
		t.APIVersion, t.Kind = tenant.APIVersion, tenant.Kind
		t.Annotations = maps.Clone(t.Annotations)
		maps.DeleteFunc(t.Annotations, func(k, _ string) bool { return tenant.IsLastAppliedKey(k) })
		if len(t.Annotations) == 0 {
			t.Annotations = nil
		}
		return t
	}
	r := apply.Result{Kind: tenant.Kind, Name: next.Name, Merged: strip(next)}
	if current != nil {
		r.Live = strip(current)
	}
	return apply.WriteDiff(w, r)
}

func mergeStrings(into, from map[string]string) map[string]string {
	if len(from) == 0 {
		return into
	}
	out := maps.Clone(into)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range from {
		if !tenant.IsLastAppliedKey(k) {
			out[k] = v
		}
	}
	return out
}

func verdict(created, changed bool) Verdict {
	switch {
	case created:
		return Created
	case changed:
		return Configured
	}
	return Unchanged
}

// kindOrder is the order in which results are shown, as they are
// applied: namespaces first, cluster-wide objects last.
var kindOrder = []string{"Namespace", "ServiceAccount", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}

// sorted orders results by kind, then namespace and name, so that output
// does not depend on the order concurrent writes finished in.
func sorted(rs []apply.Result) []apply.Result {
	slices.SortStableFunc(rs, func(a, b apply.Result) int {
		if c := cmp.Compare(slices.Index(kindOrder, a.Kind), slices.Index(kindOrder, b.Kind)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return rs
}

// logChanged writes a line per result that changed something, with
// suffix (what kind of dry run).
func logChanged(w io.Writer, rs []apply.Result, suffix string) {
	for _, r := range rs {
		if r.Outcome != apply.Unchanged {
			fmt.Fprintf(w, "%s %s %s%s\n", r.Kind, objectName(r), r.Outcome, suffix)
		}
	}
}

func objectName(r apply.Result) string {
	if r.Namespace != "" {
		return r.Namespace + "/" + r.Name
	}
	return r.Name
}
