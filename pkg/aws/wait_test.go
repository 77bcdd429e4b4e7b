package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// A wait that runs out of time says what it still waits for and how to
// pick it up, whichever way the SDK waiter ends; any other error is
// passed on; an empty answer is no status, not a crash.
func TestWatchEnded(t *testing.T) {
	live := context.Background()
	gone, cancel := context.WithTimeout(live, 0)
	defer cancel()
	<-gone.Done()
	w := &watch{what: "EKS cluster x"}
	for _, tc := range []struct {
		ctx  context.Context
		last string
		err  error
		want string
	}{
		{live, "CREATING", errors.New("exceeded max wait time for ClusterActive waiter"), "EKS cluster x still CREATING after 1m0s; re-run"},
		{live, "", fmt.Errorf("operation error EKS: DescribeCluster: %w", context.DeadlineExceeded), "EKS cluster x still not ready after 1m0s"},
		{gone, "CREATING", fmt.Errorf("operation error EKS: DescribeCluster: %w", context.DeadlineExceeded), "operation error EKS"},
		{live, "CREATING", errors.New("AccessDenied"), "AccessDenied"},
	} {
		w.last = tc.last
		if got := w.ended(tc.ctx, tc.err, time.Minute); got == nil || !strings.Contains(got.Error(), tc.want) {
			t.Errorf("ended(%v) = %v, want %q", tc.err, got, tc.want)
		}
	}
	if s := clusterStatus(&eks.DescribeClusterOutput{}) + clusterStatus(nil) + nodegroupStatus(&eks.DescribeNodegroupOutput{}); s != "" {
		t.Errorf("status of an empty answer: %q", s)
	}
}
