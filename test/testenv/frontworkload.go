package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// frontAssociation is an EKS Pod Identity association, as the front
// keeps it (moto 5.2.1 answers these routes 404).
type frontAssociation struct {
	ID, ARN, Cluster, Namespace, ServiceAccount, Role string
	Tags                                              map[string]string
	OwnerARN                                          string // the add-on that made it
	Created                                           time.Time
}

func (a *frontAssociation) wire() map[string]any {
	out := map[string]any{"associationId": a.ID, "associationArn": a.ARN, "clusterName": a.Cluster, "namespace": a.Namespace,
		"serviceAccount": a.ServiceAccount, "roleArn": a.Role, "tags": a.Tags, "createdAt": epoch(a.Created), "modifiedAt": epoch(a.Created),
		"disableSessionTags": false}
	if a.OwnerARN != "" {
		out["ownerArn"] = a.OwnerARN
	}
	return out
}

// frontAddon is an EKS add-on, as the front keeps it: CREATING for a
// moment after it is made, then ACTIVE, as EKS reports one.
type frontAddon struct {
	Name, ARN, Cluster, Version, ServiceAccountRole string
	Associations                                    []string // ARNs
	Tags                                            map[string]string
	Created                                         time.Time
}

// addonCreating is how long a new add-on is reported CREATING.
const addonCreating = time.Second

func (a *frontAddon) wire() map[string]any {
	status := "ACTIVE"
	if time.Since(a.Created) < addonCreating {
		status = "CREATING"
	}
	out := map[string]any{"addonName": a.Name, "addonArn": a.ARN, "clusterName": a.Cluster, "addonVersion": a.Version, "status": status,
		"tags": a.Tags, "createdAt": epoch(a.Created), "modifiedAt": epoch(a.Created), "health": map[string]any{"issues": []any{}},
		"podIdentityAssociations": a.Associations}
	if a.ServiceAccountRole != "" {
		out["serviceAccountRoleArn"] = a.ServiceAccountRole
	}
	return out
}

// addonNamespaces are the namespaces of the ServiceAccounts of the
// add-ons the front knows, as EKS installs them.
var addonNamespaces = map[string]string{"aws-ebs-csi-driver": "kube-system", "eks-pod-identity-agent": "kube-system"}

// addonVersions are the versions the front reports by default.
var addonVersions = map[string]string{"aws-ebs-csi-driver": "v1.44.0-eksbuild.1", "eks-pod-identity-agent": "v1.3.7-eksbuild.2"}

// serveWorkload answers EKS's Pod Identity and add-on routes,
//
//	/clusters/{name}/pod-identity-associations[/{associationId}]
//	/clusters/{name}/addons[/{addonName}]
//
// from memory, in EKS's REST-JSON wire format, for clusters the front
// saw created. An add-on's podIdentityAssociations become associations
// it owns, deleted with it.
func (f *EKSFront) serveWorkload(w http.ResponseWriter, r *http.Request, who caller, parts []string, body []byte) {
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cluster(who, parts[1])
	if c.plane == nil {
		fail(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: "+parts[1]+".")
		return
	}
	if c.associations == nil {
		c.associations, c.addons = map[string]*frontAssociation{}, map[string]*frontAddon{}
	}
	if parts[2] == "addons" {
		f.addonCall(w, r, c, parts, in)
		return
	}
	f.associationCall(w, r, c, parts, in)
}

// associationCall makes one Pod Identity call on c (under f.mu).
func (f *EKSFront) associationCall(w http.ResponseWriter, r *http.Request, c *frontCluster, parts []string, in map[string]any) {
	switch {
	case len(parts) == 3 && r.Method == http.MethodPost:
		ns, sa := str(in["namespace"]), str(in["serviceAccount"])
		f.calls = append(f.calls, "CreatePodIdentityAssociation "+ns+"/"+sa)
		a, err := c.associate(ns, sa, str(in["roleArn"]), "")
		if err != nil {
			fail(w, http.StatusConflict, "ResourceInUseException", err.Error())
			return
		}
		if tags, ok := in["tags"].(map[string]any); ok {
			for k, v := range tags {
				a.Tags[k] = str(v)
			}
		}
		reply(w, http.StatusOK, map[string]any{"association": a.wire()})
	case len(parts) == 3 && r.Method == http.MethodGet:
		f.calls = append(f.calls, "ListPodIdentityAssociations")
		ns, sa := r.URL.Query().Get("namespace"), r.URL.Query().Get("serviceAccount")
		list := []any{}
		for _, id := range slices.Sorted(maps.Keys(c.associations)) {
			a := c.associations[id]
			if (ns == "" || a.Namespace == ns) && (sa == "" || a.ServiceAccount == sa) {
				summary := map[string]any{"associationId": a.ID, "associationArn": a.ARN, "clusterName": a.Cluster, "namespace": a.Namespace, "serviceAccount": a.ServiceAccount}
				if a.OwnerARN != "" {
					summary["ownerArn"] = a.OwnerARN
				}
				list = append(list, summary)
			}
		}
		reply(w, http.StatusOK, map[string]any{"associations": list})
	case len(parts) == 4:
		a := c.associations[parts[3]]
		if r.Method == http.MethodDelete {
			f.calls = append(f.calls, "DeletePodIdentityAssociation "+parts[3])
		}
		if a == nil {
			fail(w, http.StatusNotFound, "ResourceNotFoundException", "No Pod Identity Association found for id: "+parts[3]+".")
			return
		}
		switch r.Method {
		case http.MethodGet:
		case http.MethodDelete:
			if a.OwnerARN != "" {
				fail(w, http.StatusBadRequest, "InvalidRequestException", "the association is owned by "+a.OwnerARN+": delete or update the add-on")
				return
			}
			delete(c.associations, a.ID)
		default:
			fail(w, http.StatusBadRequest, "InvalidRequestException", "the local EKS does not serve "+r.Method+" "+r.URL.Path)
			return
		}
		reply(w, http.StatusOK, map[string]any{"association": a.wire()})
	default:
		fail(w, http.StatusBadRequest, "InvalidRequestException", "the local EKS does not serve "+r.Method+" "+r.URL.Path)
	}
}

// associate adds an association of ns/sa to role, owned by owner ("" for
// none); EKS has at most one per ServiceAccount.
func (c *frontCluster) associate(ns, sa, role, owner string) (*frontAssociation, error) {
	for _, a := range c.associations {
		if a.Namespace == ns && a.ServiceAccount == sa {
			return nil, fmt.Errorf("association %s already exists for namespace %s and service account %s", a.ID, ns, sa)
		}
	}
	id := "a-" + randomID(8)
	a := &frontAssociation{ID: id, Cluster: c.Name, Namespace: ns, ServiceAccount: sa, Role: role, Tags: map[string]string{}, OwnerARN: owner, Created: time.Now(),
		ARN: fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", c.Region, c.Account, c.Name, id)}
	c.associations[id] = a
	return a, nil
}

// addonCall makes one add-on call on c (under f.mu).
func (f *EKSFront) addonCall(w http.ResponseWriter, r *http.Request, c *frontCluster, parts []string, in map[string]any) {
	switch {
	case len(parts) == 3 && r.Method == http.MethodPost:
		name := str(in["addonName"])
		f.calls = append(f.calls, "CreateAddon "+name)
		if c.addons[name] != nil {
			fail(w, http.StatusConflict, "ResourceInUseException", "Addon already exists.")
			return
		}
		ns, known := addonNamespaces[name]
		if !known {
			fail(w, http.StatusBadRequest, "InvalidParameterException", "Addon "+name+" specified is not supported by the local EKS")
			return
		}
		a := &frontAddon{Name: name, Cluster: c.Name, Version: str(in["addonVersion"]), ServiceAccountRole: str(in["serviceAccountRoleArn"]),
			Tags: map[string]string{}, Created: time.Now(), Associations: []string{},
			ARN: fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s/%s/%s", c.Region, c.Account, c.Name, name, randomID(8))}
		if a.Version == "" {
			a.Version = addonVersions[name]
		}
		if tags, ok := in["tags"].(map[string]any); ok {
			for k, v := range tags {
				a.Tags[k] = str(v)
			}
		}
		pias, _ := in["podIdentityAssociations"].([]any)
		for _, p := range pias {
			m, _ := p.(map[string]any)
			assoc, err := c.associate(ns, str(m["serviceAccount"]), str(m["roleArn"]), a.ARN)
			if err != nil {
				fail(w, http.StatusConflict, "ResourceInUseException", err.Error())
				return
			}
			a.Associations = append(a.Associations, assoc.ARN)
		}
		c.addons[name] = a
		reply(w, http.StatusOK, map[string]any{"addon": a.wire()})
	case len(parts) == 3 && r.Method == http.MethodGet:
		f.calls = append(f.calls, "ListAddons")
		reply(w, http.StatusOK, map[string]any{"addons": slices.Sorted(maps.Keys(c.addons))})
	case len(parts) == 4:
		a := c.addons[parts[3]]
		if r.Method == http.MethodDelete {
			f.calls = append(f.calls, "DeleteAddon "+parts[3])
		}
		if a == nil {
			fail(w, http.StatusNotFound, "ResourceNotFoundException", "No addon: "+parts[3]+" found in cluster: "+c.Name)
			return
		}
		answer := a.wire()
		switch r.Method {
		case http.MethodGet:
		case http.MethodDelete:
			delete(c.addons, a.Name)
			for id, assoc := range c.associations {
				if assoc.OwnerARN == a.ARN {
					delete(c.associations, id)
				}
			}
			answer["status"] = "DELETING"
		default:
			fail(w, http.StatusBadRequest, "InvalidRequestException", "the local EKS does not serve "+r.Method+" "+r.URL.Path)
			return
		}
		reply(w, http.StatusOK, map[string]any{"addon": answer})
	default:
		fail(w, http.StatusBadRequest, "InvalidRequestException", "the local EKS does not serve "+r.Method+" "+r.URL.Path)
	}
}

// epoch is a time as EKS's JSON carries it: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
