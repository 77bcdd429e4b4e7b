package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// How often a wait asks EKS: every second at first, backing off to every
// 10 s (the SDK waiters' own defaults, 30 s to 2 minutes for a cluster,
// would keep a cluster that is quick to come up waiting for half a
// minute). A timeout of zero is 25 minutes.
const (
	waitMinDelay       = time.Second
	waitMaxDelay       = 10 * time.Second
	waitDefaultTimeout = 25 * time.Minute
)

// watch follows one of EKS's SDK waiters: it reports each status change
// to progress, turns the waiter's failure states (and fail, ones it
// adds) into an error that names the resource and its status, and says
// what to do when the time is up.
type watch struct {
	what     string
	progress func(string)
	fail     []string
	failed   func(status string) error
	last     string
}

// retryable wraps a waiter's Retryable for o, a status read from its
// output ("" when the call failed).
func retryable[I, O any](w *watch, next func(context.Context, I, O, error) (bool, error), status func(O) string) func(context.Context, I, O, error) (bool, error) {
	return func(ctx context.Context, in I, out O, err error) (bool, error) {
		s := ""
		if err == nil {
			s = status(out)
		}
		if s != "" && s != w.last {
			w.progress(s)
			w.last = s
		}
		if slices.Contains(w.fail, s) {
			return false, w.failed(s)
		}
		again, werr := next(ctx, in, out, err)
		if werr != nil && err == nil {
			return false, w.failed(s) // a failure state the waiter knows
		}
		return again, werr
	}
}

// ended is the error of a wait that did not succeed: the SDK's "exceeded
// max wait time" becomes what is still waited for and how to pick it up.
// The waiter's own deadline can also end its last call (the caller's
// context still live): that is the time being up too.
func (w *watch) ended(ctx context.Context, err error, timeout time.Duration) error {
	up := err != nil && strings.HasPrefix(err.Error(), "exceeded max wait time") ||
		errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
	if !up {
		return err
	}
	status := "not ready"
	if w.last != "" {
		status = w.last
	}
	return fmt.Errorf("%s still %s after %s; re-run the same command to pick it up when it is ready", w.what, status, timeout)
}

func orDefaultTimeout(t time.Duration) time.Duration {
	if t == 0 {
		return waitDefaultTimeout
	}
	return t
}

// WaitActive waits until the cluster is ACTIVE (eks.ClusterActiveWaiter),
// reporting each status change, and fails when it is FAILED or
// DELETING, or the timeout passes.
func WaitActive(ctx context.Context, cfg awssdk.Config, name string, timeout time.Duration, progress func(status string)) (*Cluster, error) {
	timeout = orDefaultTimeout(timeout)
	w := &watch{what: "EKS cluster " + name, progress: progress,
		failed: func(s string) error { return fmt.Errorf("EKS cluster %s failed to become ACTIVE: it is %s", name, s) }}
	out, err := eks.NewClusterActiveWaiter(eks.NewFromConfig(cfg), func(o *eks.ClusterActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
		o.Retryable = retryable(w, o.Retryable, clusterStatus)
	}).WaitForOutput(ctx, &eks.DescribeClusterInput{Name: awssdk.String(name)}, timeout)
	if err != nil {
		return nil, w.ended(ctx, err, timeout)
	}
	return clusterOf(out.Cluster), nil
}

// waitClusterDeleted waits until EKS no longer knows the cluster
// (eks.ClusterDeletedWaiter), reporting each status change.
func waitClusterDeleted(ctx context.Context, cfg awssdk.Config, name string, timeout time.Duration, progress func(string)) error {
	timeout = orDefaultTimeout(timeout)
	w := &watch{what: "EKS cluster " + name, progress: progress,
		failed: func(s string) error { return fmt.Errorf("EKS cluster %s is %s instead of being deleted", name, s) }}
	err := eks.NewClusterDeletedWaiter(eks.NewFromConfig(cfg), func(o *eks.ClusterDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
		o.Retryable = retryable(w, o.Retryable, clusterStatus)
	}).Wait(ctx, &eks.DescribeClusterInput{Name: awssdk.String(name)}, timeout)
	if err != nil {
		return w.ended(ctx, err, timeout)
	}
	progress("deleted")
	return nil
}

// WaitNodegroupActive waits until the node group is ACTIVE
// (eks.NodegroupActiveWaiter), reporting each status change, and fails
// when it cannot become so.
func WaitNodegroupActive(ctx context.Context, cfg awssdk.Config, cluster, name string, timeout time.Duration, progress func(string)) (*Nodegroup, error) {
	timeout = orDefaultTimeout(timeout)
	w := &watch{what: "node group " + name, progress: progress, fail: []string{"DEGRADED", "DELETING", "DELETE_FAILED"},
		failed: func(s string) error { return fmt.Errorf("node group %s of EKS cluster %s is %s", name, cluster, s) }}
	out, err := eks.NewNodegroupActiveWaiter(eks.NewFromConfig(cfg), func(o *eks.NodegroupActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
		o.Retryable = retryable(w, o.Retryable, nodegroupStatus)
	}).WaitForOutput(ctx, &eks.DescribeNodegroupInput{ClusterName: awssdk.String(cluster), NodegroupName: awssdk.String(name)}, timeout)
	if err != nil {
		return nil, w.ended(ctx, err, timeout)
	}
	return nodegroupOf(out.Nodegroup), nil
}

// waitNodegroupDeleted waits until EKS no longer knows the node group
// (eks.NodegroupDeletedWaiter), and fails at once on DELETE_FAILED.
func waitNodegroupDeleted(ctx context.Context, cfg awssdk.Config, cluster, name string, timeout time.Duration, progress func(string)) error {
	timeout = orDefaultTimeout(timeout)
	w := &watch{what: "node group " + name, progress: progress,
		failed: func(s string) error {
			return fmt.Errorf("node group %s of EKS cluster %s failed to delete (%s): see its health in the EKS console, then re-run", name, cluster, s)
		}}
	err := eks.NewNodegroupDeletedWaiter(eks.NewFromConfig(cfg), func(o *eks.NodegroupDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = waitMinDelay, waitMaxDelay
		o.Retryable = retryable(w, o.Retryable, nodegroupStatus)
	}).Wait(ctx, &eks.DescribeNodegroupInput{ClusterName: awssdk.String(cluster), NodegroupName: awssdk.String(name)}, timeout)
	if err != nil {
		return w.ended(ctx, err, timeout)
	}
	progress("deleted")
	return nil
}

func clusterStatus(out *eks.DescribeClusterOutput) string {
	if out == nil || out.Cluster == nil {
		return ""
	}
	return string(out.Cluster.Status)
}

func nodegroupStatus(out *eks.DescribeNodegroupOutput) string {
	if out == nil || out.Nodegroup == nil {
		return ""
	}
	return string(out.Nodegroup.Status)
}
