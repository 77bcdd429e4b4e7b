package capa

// CRD is a CustomResourceDefinition the plugin's CAPA objects need in the
// management cluster: its name, and where it is in its module's sources
// (what Cluster API's and CAPA's releases ship as their CRDs).
type CRD struct {
	Name, Module, Path string
}

const (
	clusterAPI = "sigs.k8s.io/cluster-api"
	capaModule = "sigs.k8s.io/cluster-api-provider-aws/v2"
)

// CRDs are the CRDs of every kind create --provider capa writes or
// reads, in the versions this build knows: Cluster API v1.14 (core) and
// CAPA v2.13.
var CRDs = []CRD{
	{"clusters.cluster.x-k8s.io", clusterAPI, "core/config/crd/bases/cluster.x-k8s.io_clusters.yaml"},
	{"machinepools.cluster.x-k8s.io", clusterAPI, "core/config/crd/bases/cluster.x-k8s.io_machinepools.yaml"},
	{"awsclusterroleidentities.infrastructure.cluster.x-k8s.io", capaModule, "config/crd/bases/infrastructure.cluster.x-k8s.io_awsclusterroleidentities.yaml"},
	{"awsclustercontrolleridentities.infrastructure.cluster.x-k8s.io", capaModule, "config/crd/bases/infrastructure.cluster.x-k8s.io_awsclustercontrolleridentities.yaml"},
	{"awsmanagedclusters.infrastructure.cluster.x-k8s.io", capaModule, "config/crd/bases/infrastructure.cluster.x-k8s.io_awsmanagedclusters.yaml"},
	{"awsmanagedmachinepools.infrastructure.cluster.x-k8s.io", capaModule, "config/crd/bases/infrastructure.cluster.x-k8s.io_awsmanagedmachinepools.yaml"},
	{"awsmanagedcontrolplanes.controlplane.cluster.x-k8s.io", capaModule, "config/crd/bases/controlplane.cluster.x-k8s.io_awsmanagedcontrolplanes.yaml"},
}
