package testenv

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	infrav1 "sigs.k8s.io/cluster-api-provider-aws/v2/api/v1beta2"

	"github.com/kubectl-tenant/kubectl-tenant/pkg/aws/iamarn"
	"github.com/kubectl-tenant/kubectl-tenant/pkg/capa"
)

var (
	controlPlanes    = schema.GroupVersionResource{Group: "controlplane.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsmanagedcontrolplanes"}
	clusters         = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "clusters"}
	managedClusters  = schema.GroupVersionResource{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsmanagedclusters"}
	machinePools     = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machinepools"}
	managedPools     = schema.GroupVersionResource{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Resource: "awsmanagedmachinepools"}
	clusterFinalizer = "cluster.cluster.x-k8s.io"
)

// CAPAController stands in for CAPA's EKS control plane controller,
// which does not run here: for one AWSManagedControlPlane it does what
// CAPA v2.13.0 does on the wire. It follows identityRef and each
// sourceIdentityRef, checking that every hop admits the control plane's
// namespace (else it reports the failure, as CAPA does); assumes the
// chain's roles from the source credentials of the environment (the
// controller's own); creates the EKS cluster on the local EKS in the
// tenant's account, tagged as CAPA tags it; reports its conditions
// while EKS makes it; and writes CLUSTER-user-kubeconfig exactly as
// CAPA's createUserKubeconfigSecret does (type cluster.x-k8s.io/secret,
// key value, owned by the control plane, its user running
// aws-iam-authenticator with no role). It does not write the admin
// kubeconfig CLUSTER-kubeconfig, which the plugin never reads.
type CAPAController struct {
	Client dynamic.Interface
	Core   kubernetes.Interface
}

// NewCAPAController plays CAPA in the management cluster of cfg.
func NewCAPAController(cfg *rest.Config) (*CAPAController, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rest.NoWarnings{} // CAPA's own finalizer name draws one on every patch
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	core, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &CAPAController{Client: client, Core: core}, nil
}

// Reconcile waits (until ctx ends) for control plane ns/name to be
// declared, then makes its cluster ready, owned by the Cluster named
// cluster.
func (c *CAPAController) Reconcile(ctx context.Context, ns, name, cluster string) error {
	res := c.Client.Resource(controlPlanes).Namespace(ns)
	var cp *unstructured.Unstructured
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		var err error
		cp, err = res.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("waiting for AWSManagedControlPlane %s/%s: %w", ns, name, err)
	}
	spec, err := capa.ReadControlPlane(ctx, c.Client, ns, name)
	if err != nil {
		return err
	}
	// Cluster API's finalizer: the Cluster goes only once its control
	// plane and EKS cluster have (Finalize).
	finalizer := []byte(`{"metadata":{"finalizers":["` + clusterFinalizer + `"]}}`)
	if _, err := c.Client.Resource(clusters).Namespace(ns).Patch(ctx, cluster, types.MergePatchType, finalizer, metav1.PatchOptions{FieldManager: "capa-controller-stand-in"}); err != nil {
		return fmt.Errorf("putting Cluster API's finalizer on Cluster %s/%s: %w", ns, cluster, err)
	}
	if err := c.status(ctx, cp, false, "", condition("EKSControlPlaneCreating", "True", "", ""), condition("EKSControlPlaneReady", "False", "Creating", "EKS is creating the cluster")); err != nil {
		return err
	}
	cfg, account, err := c.assume(ctx, ns, spec)
	if err != nil {
		_ = c.status(ctx, cp, false, err.Error(), condition("EKSControlPlaneReady", "False", "Failed", err.Error()))
		return err
	}
	made, err := makeCluster(ctx, cfg, spec.EKSClusterName, cluster, account)
	if err != nil {
		return err
	}
	if err := c.recordEndpoint(ctx, cp, cluster, awssdk.ToString(made.Endpoint)); err != nil {
		return err
	}
	if err := c.writeUserKubeconfig(ctx, cp, cluster, made); err != nil {
		return err
	}
	return c.status(ctx, cp, true, "", condition("EKSControlPlaneCreating", "False", "Created", ""), condition("EKSControlPlaneReady", "True", "", ""), condition("Ready", "True", "", ""))
}

// assume is the AWS config CAPA acts with for the control plane (its
// identity chain, each hop admitting the namespace), and the account it
// acts in.
func (c *CAPAController) assume(ctx context.Context, ns string, spec *capa.ControlPlane) (awssdk.Config, string, error) {
	hops, err := capa.Chain(ctx, c.Client, spec.IdentityRef)
	if err != nil {
		return awssdk.Config{}, "", err
	}
	namespace, err := c.Core.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return awssdk.Config{}, "", err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(spec.Region))
	if err != nil {
		return awssdk.Config{}, "", err
	}
	var last iamarn.Principal
	for _, h := range hops {
		if !admits(h.Allowed, ns, namespace.Labels) {
			return awssdk.Config{}, "", fmt.Errorf("%s is not permitted to use identity %s (allowedNamespaces)", ns, h.Ref())
		}
		if h.RoleARN == "" {
			continue
		}
		if last, err = iamarn.ParseRole(h.RoleARN); err != nil {
			return awssdk.Config{}, "", fmt.Errorf("identity %s: %w", h.Ref(), err)
		}
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), h.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "capa-controller"
			if h.ExternalID != "" {
				o.ExternalID = awssdk.String(h.ExternalID)
			}
		})
		cfg = cfg.Copy()
		cfg.Credentials = awssdk.NewCredentialsCache(provider)
	}
	if last.Account == "" {
		return awssdk.Config{}, "", fmt.Errorf("identity %s assumes no role: the stand-in acts only in tenant accounts", spec.IdentityRef.Name)
	}
	return cfg, last.Account, nil
}

// makeCluster creates the EKS cluster as CAPA does (unless it exists)
// and waits until it is ACTIVE.
func makeCluster(ctx context.Context, cfg awssdk.Config, name, owner, account string) (*ekstypes.Cluster, error) {
	client := eks.NewFromConfig(cfg)
	subnets, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: awssdk.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range subnets.Subnets {
		ids = append(ids, awssdk.ToString(s.SubnetId))
	}
	_, err = client.CreateCluster(ctx, &eks.CreateClusterInput{
		Name:               awssdk.String(name),
		RoleArn:            awssdk.String("arn:aws:iam::" + account + ":role/eks-controlplane.cluster-api-provider-aws.sigs.k8s.io"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: ids},
		Tags:               map[string]string{"sigs.k8s.io/cluster-api-provider-aws/cluster/" + owner: "owned"},
	})
	var inUse *ekstypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return nil, fmt.Errorf("creating EKS cluster %s: %w", name, err)
	}
	var cluster *ekstypes.Cluster
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		out, err := client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: awssdk.String(name)})
		if err != nil {
			return false, err
		}
		cluster = out.Cluster
		return cluster.Status == ekstypes.ClusterStatusActive, nil
	})
	return cluster, err
}

// writeUserKubeconfig writes CLUSTER-user-kubeconfig as CAPA does, once.
func (c *CAPAController) writeUserKubeconfig(ctx context.Context, cp *unstructured.Unstructured, cluster string, made *ekstypes.Cluster) error {
	eksName := awssdk.ToString(made.Name)
	user := eksName + "-user"
	cfg := clientcmdapi.NewConfig()
	ca, err := base64.StdEncoding.DecodeString(awssdk.ToString(made.CertificateAuthority.Data))
	if err != nil {
		return err
	}
	cfg.Clusters[eksName] = &clientcmdapi.Cluster{Server: awssdk.ToString(made.Endpoint), CertificateAuthorityData: ca}
	cfg.Contexts[user+"@"+eksName] = &clientcmdapi.Context{Cluster: eksName, AuthInfo: user}
	cfg.CurrentContext = user + "@" + eksName
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion: "client.authentication.k8s.io/v1beta1", Command: "aws-iam-authenticator", Args: []string{"token", "-i", eksName},
	}}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: capa.UserKubeconfigName(cluster), Namespace: cp.GetNamespace(),
			Labels: map[string]string{"cluster.x-k8s.io/cluster-name": cluster + "-user"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: controlPlanes.GroupVersion().String(), Kind: "AWSManagedControlPlane",
				Name: cp.GetName(), UID: cp.GetUID(), Controller: awssdk.Bool(true), BlockOwnerDeletion: awssdk.Bool(true)}},
		},
		Data: map[string][]byte{"value": data},
		Type: "cluster.x-k8s.io/secret",
	}
	_, err = c.Core.CoreV1().Secrets(cp.GetNamespace()).Create(ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil // CAPA writes it once and never updates it
	}
	return err
}

// condition is a Cluster API v1beta1 condition, as CAPA's control plane
// reports them.
func condition(typ, status, reason, message string) map[string]any {
	c := map[string]any{"type": typ, "status": status, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
	if reason != "" {
		c["reason"], c["severity"] = reason, "Info"
	}
	if message != "" {
		c["message"] = message
	}
	return c
}

// status writes the control plane's status: ready, a failure message,
// and conditions.
func (c *CAPAController) status(ctx context.Context, cp *unstructured.Unstructured, ready bool, failure string, conditions ...map[string]any) error {
	res := c.Client.Resource(controlPlanes).Namespace(cp.GetNamespace())
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		cur, err := res.Get(ctx, cp.GetName(), metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		list := make([]any, len(conditions))
		for i := range conditions {
			list[i] = conditions[i]
		}
		status := map[string]any{"ready": ready, "initialized": ready, "conditions": list}
		if failure != "" {
			status["failureMessage"] = failure
		}
		cur.Object["status"] = status
		_, err = res.UpdateStatus(ctx, cur, metav1.UpdateOptions{FieldManager: "capa-controller-stand-in"})
		if apierrors.IsConflict(err) {
			return false, nil
		}
		return err == nil, err
	})
}

// admits is CAPA's isClusterPermittedToUsePrincipal, written again here
// (not the plugin's capa.Admits, which the tests check against it): nil
// admits none, the zero value every namespace, else the list or a
// non-empty selector.
func admits(a *infrav1.AllowedNamespaces, ns string, nsLabels map[string]string) bool {
	switch {
	case a == nil:
		return false
	case a.NamespaceList == nil && a.Selector.MatchLabels == nil && a.Selector.MatchExpressions == nil:
		return true
	case slices.Contains(a.NamespaceList, ns):
		return true
	}
	sel, err := metav1.LabelSelectorAsSelector(&a.Selector)
	return err == nil && !sel.Empty() && sel.Matches(labels.Set(nsLabels))
}

// recordEndpoint writes the API server's address into the control plane
// and the AWSManagedCluster of cluster, as CAPA does once EKS reports it
// (a merge patch: the field is CAPA's, not the plugin's).
func (c *CAPAController) recordEndpoint(ctx context.Context, cp *unstructured.Unstructured, cluster, endpoint string) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"controlPlaneEndpoint":{"host":%q,"port":443}}}`, endpoint)) // EKS's endpoint as it is, as CAPA records it
	opts := metav1.PatchOptions{FieldManager: "capa-controller-stand-in"}
	if _, err := c.Client.Resource(controlPlanes).Namespace(cp.GetNamespace()).Patch(ctx, cp.GetName(), types.MergePatchType, patch, opts); err != nil {
		return fmt.Errorf("recording the endpoint of AWSManagedControlPlane %s: %w", cp.GetName(), err)
	}
	if _, err := c.Client.Resource(managedClusters).Namespace(cp.GetNamespace()).Patch(ctx, cluster, types.MergePatchType, patch, opts); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("recording the endpoint of AWSManagedCluster %s: %w", cluster, err)
	}
	return nil
}

// Finalize waits (until ctx ends) for Cluster ns/name to be deleted, then
// does what Cluster API and CAPA do: CAPA deletes the EKS cluster through
// the control plane's identity chain and waits until it is gone, Cluster
// API deletes the control plane, the AWSManagedCluster and the machine
// pools, and lets the Cluster go.
func (c *CAPAController) Finalize(ctx context.Context, ns, name, controlPlane string) error {
	res := c.Client.Resource(clusters).Namespace(ns)
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		u, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return u.GetDeletionTimestamp() != nil, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for Cluster %s/%s to be deleted: %w", ns, name, err)
	}
	spec, err := capa.ReadControlPlane(ctx, c.Client, ns, controlPlane)
	if err != nil {
		return err
	}
	cfg, _, err := c.assume(ctx, ns, spec)
	if err != nil {
		return err
	}
	client := eks.NewFromConfig(cfg)
	if _, err := client.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: awssdk.String(spec.EKSClusterName)}); err != nil {
		return fmt.Errorf("deleting EKS cluster %s: %w", spec.EKSClusterName, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: awssdk.String(spec.EKSClusterName)})
		var notFound *ekstypes.ResourceNotFoundException
		return errors.As(err, &notFound), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for EKS cluster %s to go: %w", spec.EKSClusterName, err)
	}
	for _, gone := range []struct {
		gvr  schema.GroupVersionResource
		name string
	}{{controlPlanes, controlPlane}, {managedClusters, name}} {
		if err := c.Client.Resource(gone.gvr).Namespace(ns).Delete(ctx, gone.name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, gvr := range []schema.GroupVersionResource{machinePools, managedPools} {
		if err := c.Client.Resource(gvr).Namespace(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			return err
		}
	}
	u, err := res.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	u.SetFinalizers(slices.DeleteFunc(u.GetFinalizers(), func(f string) bool { return f == clusterFinalizer }))
	_, err = res.Update(ctx, u, metav1.UpdateOptions{FieldManager: "capa-controller-stand-in"})
	return err
}
