// Package capa is kubectl-tenant's Cluster API mode: tenants whose EKS
// clusters Cluster API Provider AWS (CAPA) makes from objects in a
// management cluster, and the trust chain of CAPA identities through
// which its controller reaches each tenant's account. The objects are
// CAPA's and Cluster API's own Go types.
package capa
