package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// EKSFront is the local EKS's endpoint, reached through the SDK's
// standard AWS_ENDPOINT_URL (the one for every service; the EKS and STS
// calls are what it looks at, and it counts them all). moto answers
// EKS's control-plane API; the front passes every call on to it and adds
// what moto lacks:
//
//   - a data plane per cluster: each cluster created through the front
//     gets its own etcd, kube-apiserver and kube-controller-manager, whose
//     bearer tokens aws-iam-authenticator's own server checks (see
//     dataPlane). The front reports the cluster CREATING until its
//     apiserver is ready, then ACTIVE with the apiserver's address and CA
//     as the cluster's endpoint and certificateAuthority.
//   - the cluster's accessConfig.authenticationMode, which moto drops:
//     kept from CreateCluster and reported back.
//   - a cluster's own OIDC issuer (identity.oidc.issuer), where moto
//     gives every cluster the same: the data plane's apiserver signs
//     ServiceAccount tokens as that issuer.
//   - EKS access entries (Create/Describe/List/Update/DeleteAccessEntry,
//     Associate/DisassociateAccessPolicy, ListAssociatedAccessPolicies),
//     which moto answers 404: served from memory in EKS's REST-JSON wire
//     format and exported to the cluster's authenticator, so that an
//     entry's username and groups really authenticate. EKS authorizes
//     access policies itself; the front stands in for that with RBAC
//     bindings (see dataPlane.bindPolicies).
//   - EKS Pod Identity associations and add-ons (aws-ebs-csi-driver,
//     eks-pod-identity-agent), which moto answers 404: served from memory
//     in EKS's wire format (see serveWorkload). The add-ons' software is
//     not installed in the data plane.
//   - a managed node group's effects inside its cluster: Node objects,
//     and the node role mapped (in aws-auth for CONFIG_MAP clusters, by
//     an EC2_LINUX access entry otherwise), as EKS does.
//
// STS calls pass through too, so that the front learns the credentials
// moto issues (who created a cluster; which key signed a token) without
// reading moto's data.json. The front records every EKS call, so tests
// can prove which were made.
type EKSFront struct {
	URL  string
	srv  *httptest.Server
	moto *Moto
	dir  string
	http *http.Client
	log  *os.File

	mu       sync.Mutex
	calls    []string
	counts   map[string]int           // AWS calls by service
	clusters map[string]*frontCluster // "ACCOUNT/REGION/NAME"
	// stuck are the node groups ("CLUSTER/NODEGROUP") whose deletion
	// hangs (StickNodegroupDeletes): asked to go, they stay DELETING.
	stuck    map[string]bool
	sticking bool
	planes   sync.WaitGroup // data planes starting or stopping
}

// frontCluster is what the front keeps of a cluster beside moto.
type frontCluster struct {
	Name, Account, Region string
	AuthMode              string
	Creator               string // the ARN that created it, as STS named it
	// Issuer is the cluster's own OIDC issuer (moto gives every cluster
	// of a process the same one): its data plane signs ServiceAccount
	// tokens as it, so that IRSA's trust can be checked against real
	// tokens.
	Issuer       string
	entries      map[string]*frontEntry
	nodegroups   map[string]frontNodegroup
	associations map[string]*frontAssociation // Pod Identity, by ID
	addons       map[string]*frontAddon       // by name
	plane        *dataPlane                   // nil for a cluster the front did not see created
}

type frontNodegroup struct {
	Role  string
	Nodes []string
}

type frontEntry struct {
	Cluster, Principal, Username, Type string
	Groups                             []string
	Tags                               map[string]string
	Policies                           map[string]frontScope // policy ARN -> scope
	Created                            time.Time
}

type frontScope struct {
	Type       string   // cluster or namespace
	Namespaces []string // for namespace
}

// StartEKSFront starts the front before moto; data planes keep their
// files under dir.
func StartEKSFront(moto *Moto, dir string) (*EKSFront, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "aws-iam-authenticator.log"))
	if err != nil {
		return nil, err
	}
	// The authenticators of every cluster log here (logrus is one per
	// process).
	logrus.SetOutput(log)
	f := &EKSFront{moto: moto, dir: dir, log: log, clusters: map[string]*frontCluster{}, counts: map[string]int{},
		http: &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL
	return f, nil
}

// Env points the AWS SDK (every service) at the front.
func (f *EKSFront) Env() []string { return []string{"AWS_ENDPOINT_URL=" + f.URL} }

// Counts returns how many AWS calls the front has seen, by service
// (eks, sts, iam, ec2).
func (f *EKSFront) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.counts)
}

// Close stops the front and every data plane.
func (f *EKSFront) Close() {
	f.srv.Close()
	f.planes.Wait()
	// The planes stop side by side: an apiserver's graceful shutdown
	// takes seconds, and they do not depend on each other.
	var stopping sync.WaitGroup
	f.mu.Lock()
	for _, c := range f.clusters {
		if c.plane != nil {
			stopping.Go(c.plane.stop)
		}
	}
	f.mu.Unlock()
	stopping.Wait()
	logrus.SetOutput(io.Discard)
	f.log.Close()
}

// Calls returns the EKS calls seen so far (an access-entry, Pod Identity
// or add-on operation by name, any other as METHOD PATH), and the IAM
// writes as "iam ACTION".
func (f *EKSFront) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Entries returns each access entry as "CLUSTER PRINCIPAL USERNAME GROUPS
// POLICIES", sorted: a summary a test can compare before and after.
func (f *EKSFront) Entries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.clusters {
		for _, e := range c.entries {
			out = append(out, fmt.Sprintf("%s %s %s %v %v", e.Cluster, e.Principal, e.Username, e.Groups, e.Policies))
		}
	}
	slices.Sort(out)
	return out
}

// DataPlane returns the control plane of the cluster of that name (in
// any account), once it is ready.
func (f *EKSFront) DataPlane(name string) (*ControlPlane, error) {
	f.mu.Lock()
	var plane *dataPlane
	for _, c := range f.clusters {
		if c.Name == name && c.plane != nil {
			plane = c.plane
		}
	}
	f.mu.Unlock()
	if plane == nil {
		return nil, fmt.Errorf("the local EKS created no cluster %s", name)
	}
	select {
	case <-plane.ready:
	case <-time.After(2 * time.Minute):
		return nil, fmt.Errorf("cluster %s's data plane is not ready after 2 minutes", name)
	}
	return plane.cp, plane.err
}

func (f *EKSFront) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

// iamWrite matches the IAM actions that change something, which the
// front records (Calls) so that a test can count a command's writes.
var iamWrite = regexp.MustCompile(`^(Create|Update|Put|Attach|Detach|Delete|Tag|Untag|Add|Remove)`)

// issuerOf is the OIDC issuer of the cluster of key (ACCOUNT/REGION/NAME),
// in EKS's form: one per cluster, the same on every run.
func issuerOf(key string) string {
	region := strings.Split(key, "/")[1]
	sum := sha256.Sum256([]byte(key))
	return "https://oidc.eks." + region + ".amazonaws.com/id/" + strings.ToUpper(hex.EncodeToString(sum[:16]))
}

// caller is who signed a request, from its SigV4 credential scope.
type caller struct {
	AccessKey, Region, Service string
}

func callerOf(r *http.Request) caller {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return caller{}
	}
	return caller{AccessKey: parts[0], Region: parts[2], Service: parts[3]}
}

// identity is the account and ARN behind an access key: moto's default
// account for its static test keys.
func (f *EKSFront) identity(c caller) (account, arn string) {
	if issued, err := f.moto.Issued(c.AccessKey); err == nil {
		return issued.Account, issued.ARN
	}
	return "123456789012", "arn:aws:iam::123456789012:user/moto"
}

func (f *EKSFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	who := callerOf(r)
	f.mu.Lock()
	f.counts[who.Service]++
	f.mu.Unlock()
	if who.Service == "sts" {
		f.serveSTS(w, r, body)
		return
	}
	if who.Service == "iam" {
		if form, err := url.ParseQuery(string(body)); err == nil && iamWrite.MatchString(form.Get("Action")) {
			f.record("iam " + form.Get("Action"))
		}
	}
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i := range parts {
		if p, err := url.PathUnescape(parts[i]); err == nil {
			parts[i] = p
		}
	}
	switch {
	case len(parts) >= 3 && parts[0] == "clusters" && parts[2] == "access-entries":
		f.serveAccessEntries(w, r, who, parts, body)
		return
	case len(parts) >= 3 && parts[0] == "clusters" && (parts[2] == "pod-identity-associations" || parts[2] == "addons"):
		f.serveWorkload(w, r, who, parts, body)
		return
	case len(parts) == 1 && parts[0] == "clusters" && r.Method == http.MethodPost:
		f.createCluster(w, r, who, body)
		return
	case len(parts) == 2 && parts[0] == "clusters" && r.Method == http.MethodGet:
		f.record("DescribeCluster " + parts[1])
		f.answerCluster(w, r, who, body, parts[1], nil)
		return
	case len(parts) == 2 && parts[0] == "clusters" && r.Method == http.MethodDelete:
		f.record("DeleteCluster " + parts[1])
		f.answerCluster(w, r, who, body, parts[1], f.deleted)
		return
	case len(parts) == 3 && parts[2] == "node-groups" && r.Method == http.MethodPost:
		f.record("CreateNodegroup " + parts[1])
		f.nodegroupCreated(w, r, who, body, parts[1])
		return
	case len(parts) == 4 && parts[2] == "node-groups" && r.Method == http.MethodDelete:
		f.record("DeleteNodegroup " + parts[1] + " " + parts[3])
		if f.stick(parts[1] + "/" + parts[3]) {
			f.answerDeleting(w, r, body)
			return
		}
		f.nodegroupDeleted(w, r, who, body, parts[1], parts[3])
		return
	case len(parts) == 4 && parts[2] == "node-groups" && r.Method == http.MethodGet && f.isStuck(parts[1]+"/"+parts[3]):
		f.record("DescribeNodegroup " + parts[1] + " " + parts[3])
		f.answerDeleting(w, r, body)
		return
	}
	if who.Service == "eks" {
		f.record(r.Method + " " + r.URL.EscapedPath())
	}
	resp, data, ok := f.pass(w, r, body)
	if !ok {
		return
	}
	copyResponse(w, resp, data)
}

// StickNodegroupDeletes makes every node group deletion from now on hang,
// as EKS's does when a node group cannot drain: the node group is
// reported DELETING and never goes. StickNodegroupDeletes(false) ends
// that: the stuck node groups are reported as moto has them (ACTIVE), so
// that the next deletion goes through.
func (f *EKSFront) StickNodegroupDeletes(stick bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sticking = stick
	if !stick {
		f.stuck = nil
	}
}

// stick reports whether a node group's deletion hangs, marking it stuck.
func (f *EKSFront) stick(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sticking {
		if f.stuck == nil {
			f.stuck = map[string]bool{}
		}
		f.stuck[key] = true
	}
	return f.sticking
}

func (f *EKSFront) isStuck(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stuck[key]
}

// answerDeleting answers with the node group as moto describes it, but
// DELETING.
func (f *EKSFront) answerDeleting(w http.ResponseWriter, r *http.Request, body []byte) {
	get := r.Clone(r.Context())
	get.Method = http.MethodGet
	resp, data, ok := f.pass(w, get, body)
	if !ok {
		return
	}
	var answer map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &answer) != nil {
		copyResponse(w, resp, data)
		return
	}
	if ng, ok := answer["nodegroup"].(map[string]any); ok {
		ng["status"] = "DELETING"
	}
	reply(w, http.StatusOK, answer)
}

// forward makes the request of moto and reads its answer.
func (f *EKSFront) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, f.moto.URL+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("moto: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

// pass makes the request of moto; when moto cannot be reached it answers
// 502 itself and reports false.
func (f *EKSFront) pass(w http.ResponseWriter, r *http.Request, body []byte) (*http.Response, []byte, bool) {
	resp, data, err := f.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return nil, nil, false
	}
	return resp, data, true
}

func copyResponse(w http.ResponseWriter, resp *http.Response, data []byte) {
	for k, vs := range resp.Header {
		if k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(data)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	if m, ok := v.(map[string]any); ok && code != http.StatusOK {
		w.Header().Set("X-Amzn-ErrorType", m["__type"].(string))
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code int, kind, msg string) {
	reply(w, code, map[string]any{"__type": kind, "message": msg})
}

// serveSTS passes an STS call to moto and remembers the credentials an
// AssumeRole answer carries.
func (f *EKSFront) serveSTS(w http.ResponseWriter, r *http.Request, body []byte) {
	resp, data, ok := f.pass(w, r, body)
	if !ok {
		return
	}
	var answer struct {
		Result struct {
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
			} `xml:"Credentials"`
			User struct {
				ARN string `xml:"Arn"`
				ID  string `xml:"AssumedRoleId"`
			} `xml:"AssumedRoleUser"`
		} `xml:"AssumeRoleResult"`
	}
	if resp.StatusCode == http.StatusOK && xml.Unmarshal(data, &answer) == nil && answer.Result.Credentials.AccessKeyID != "" {
		c, u := answer.Result.Credentials, answer.Result.User
		account := ""
		if fields := strings.Split(u.ARN, ":"); len(fields) > 4 {
			account = fields[4]
		}
		f.moto.remember(issuedCredential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
			ARN: u.ARN, Account: account, UserID: u.ID})
	}
	copyResponse(w, resp, data)
}

// cluster returns the front's record of a cluster, making an empty one
// for a cluster it did not see created.
func (f *EKSFront) cluster(who caller, name string) *frontCluster {
	account, _ := f.identity(who)
	key := account + "/" + who.Region + "/" + name
	c := f.clusters[key]
	if c == nil {
		c = &frontCluster{Name: name, Account: account, Region: who.Region, AuthMode: "API_AND_CONFIG_MAP", Issuer: issuerOf(key),
			entries: map[string]*frontEntry{}, nodegroups: map[string]frontNodegroup{}}
		f.clusters[key] = c
	}
	return c
}

// createCluster passes CreateCluster to moto and, when moto made it,
// keeps its authentication mode and creator and starts its data plane.
func (f *EKSFront) createCluster(w http.ResponseWriter, r *http.Request, who caller, body []byte) {
	var in struct {
		Name         string `json:"name"`
		AccessConfig struct {
			AuthenticationMode string `json:"authenticationMode"`
		} `json:"accessConfig"`
	}
	_ = json.Unmarshal(body, &in)
	resp, data, ok := f.pass(w, r, body)
	if !ok {
		return
	}
	if resp.StatusCode != http.StatusOK {
		f.record("CreateCluster")
		copyResponse(w, resp, data)
		return
	}
	_, creator := f.identity(who)
	f.mu.Lock()
	// Recorded once the cluster is known here, so that a test that waits
	// for the call sees the cluster CREATING, as EKS reports it.
	f.calls = append(f.calls, "CreateCluster")
	key := ""
	for k, c := range f.clusters { // a record left by calls before the cluster existed
		if c.Name == in.Name && c.plane == nil {
			key = k
		}
	}
	delete(f.clusters, key)
	c := f.cluster(who, in.Name)
	if in.AccessConfig.AuthenticationMode != "" {
		c.AuthMode = in.AccessConfig.AuthenticationMode
	}
	c.Creator = creator
	c.plane = newDataPlane(filepath.Join(f.dir, "clusters", c.Name+"-"+c.Account+"-"+c.Region), c, f.log.Name())
	f.planes.Add(1)
	go func() {
		defer f.planes.Done()
		c.plane.start()
	}()
	f.mu.Unlock()
	f.rewrite(w, resp, data, c)
}

// answerCluster passes a call on a cluster to moto and reports the
// cluster as the front sees it; after, if set, runs when moto succeeded.
func (f *EKSFront) answerCluster(w http.ResponseWriter, r *http.Request, who caller, body []byte, name string, after func(*frontCluster)) {
	resp, data, ok := f.pass(w, r, body)
	if !ok {
		return
	}
	f.mu.Lock()
	c := f.cluster(who, name)
	f.mu.Unlock()
	if resp.StatusCode == http.StatusOK && after != nil {
		after(c)
	}
	f.rewrite(w, resp, data, c)
}

// deleted forgets a deleted cluster and stops its data plane.
func (f *EKSFront) deleted(c *frontCluster) {
	f.mu.Lock()
	for k, v := range f.clusters {
		if v == c {
			delete(f.clusters, k)
		}
	}
	f.mu.Unlock()
	if c.plane != nil {
		f.planes.Add(1)
		go func() {
			defer f.planes.Done()
			c.plane.stop()
		}()
	}
}

// rewrite answers with moto's cluster, its endpoint, CA, status and
// authentication mode replaced by the front's.
func (f *EKSFront) rewrite(w http.ResponseWriter, resp *http.Response, data []byte, c *frontCluster) {
	var answer map[string]any
	var cl map[string]any
	if resp.StatusCode == http.StatusOK && json.Unmarshal(data, &answer) == nil {
		cl, _ = answer["cluster"].(map[string]any)
	}
	if cl == nil {
		copyResponse(w, resp, data)
		return
	}
	cl["accessConfig"] = map[string]any{"authenticationMode": c.AuthMode, "bootstrapClusterCreatorAdminPermissions": true}
	cl["identity"] = map[string]any{"oidc": map[string]any{"issuer": c.Issuer}}
	if p := c.plane; p != nil && cl["status"] == "ACTIVE" {
		select {
		case <-p.ready:
			if p.err != nil {
				cl["status"] = "FAILED"
			} else {
				cl["endpoint"] = p.cp.URL
				cl["certificateAuthority"] = map[string]any{"data": p.caData()}
			}
		default:
			cl["status"] = "CREATING"
			delete(cl, "endpoint")
			delete(cl, "certificateAuthority")
		}
	}
	reply(w, http.StatusOK, answer)
}

// nodegroupCreated passes CreateNodegroup to moto and, when it made the
// node group, registers its nodes and maps its role in the cluster: in
// aws-auth for a CONFIG_MAP cluster, else by an EC2_LINUX access entry.
func (f *EKSFront) nodegroupCreated(w http.ResponseWriter, r *http.Request, who caller, body []byte, cluster string) {
	var in struct {
		Name          string   `json:"nodegroupName"`
		NodeRole      string   `json:"nodeRole"`
		InstanceTypes []string `json:"instanceTypes"`
		Scaling       struct {
			Desired int `json:"desiredSize"`
		} `json:"scalingConfig"`
	}
	_ = json.Unmarshal(body, &in)
	resp, data, ok := f.pass(w, r, body)
	if !ok {
		return
	}
	f.mu.Lock()
	c := f.cluster(who, cluster)
	f.mu.Unlock()
	if resp.StatusCode == http.StatusOK && c.plane != nil {
		if err := f.addNodegroup(r.Context(), c, in.Name, in.NodeRole, in.InstanceTypes, in.Scaling.Desired); err != nil {
			fail(w, http.StatusInternalServerError, "ServerException", "local EKS: registering node group "+in.Name+": "+err.Error())
			return
		}
	}
	copyResponse(w, resp, data)
}

func (f *EKSFront) addNodegroup(ctx context.Context, c *frontCluster, name, role string, instanceTypes []string, count int) error {
	nodes, err := c.plane.addNodegroup(ctx, name, instanceTypes, count)
	if err != nil {
		return err
	}
	f.mu.Lock()
	c.nodegroups[name] = frontNodegroup{Role: role, Nodes: nodes}
	if c.AuthMode == "CONFIG_MAP" {
		f.mu.Unlock()
		return c.plane.mapNodeRole(ctx, role)
	}
	if c.entries[role] == nil {
		c.entries[role] = &frontEntry{Cluster: c.Name, Principal: role, Type: "EC2_LINUX", Username: "system:node:{{EC2PrivateDNSName}}",
			Groups: []string{}, Tags: map[string]string{}, Policies: map[string]frontScope{}, Created: time.Now()}
	}
	entries := c.entryList()
	f.mu.Unlock()
	return c.plane.export(ctx, entries)
}

// nodegroupDeleted passes DeleteNodegroup to moto and, when it deleted
// the node group, removes its nodes and, unless another node group runs
// as the same role, the role's mapping.
func (f *EKSFront) nodegroupDeleted(w http.ResponseWriter, r *http.Request, who caller, body []byte, cluster, name string) {
	resp, data, ok := f.pass(w, r, body)
	if !ok {
		return
	}
	f.mu.Lock()
	c := f.cluster(who, cluster)
	f.mu.Unlock()
	if resp.StatusCode == http.StatusOK && c.plane != nil {
		if err := f.removeNodegroup(r.Context(), c, name); err != nil {
			fail(w, http.StatusInternalServerError, "ServerException", "local EKS: removing node group "+name+": "+err.Error())
			return
		}
	}
	copyResponse(w, resp, data)
}

func (f *EKSFront) removeNodegroup(ctx context.Context, c *frontCluster, name string) error {
	f.mu.Lock()
	ng := c.nodegroups[name]
	delete(c.nodegroups, name)
	shared := false
	for _, other := range c.nodegroups {
		shared = shared || other.Role == ng.Role
	}
	f.mu.Unlock()
	if err := c.plane.removeNodes(ctx, ng.Nodes); err != nil || shared {
		return err
	}
	if c.AuthMode == "CONFIG_MAP" {
		return c.plane.unmapNodeRole(ctx, ng.Role)
	}
	f.mu.Lock()
	if e := c.entries[ng.Role]; e != nil && e.Type == "EC2_LINUX" {
		delete(c.entries, ng.Role)
	}
	entries := c.entryList()
	f.mu.Unlock()
	return c.plane.export(ctx, entries)
}

// entryList copies the cluster's access entries, for export outside the
// front's lock.
func (c *frontCluster) entryList() []frontEntry {
	var out []frontEntry
	for _, e := range c.entries {
		out = append(out, *e)
	}
	return out
}
