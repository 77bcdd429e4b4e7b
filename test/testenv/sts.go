package testenv

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// STSTransport answers STS GetCallerIdentity requests made to
// sts[.REGION].amazonaws.com the way STS does for presigned URLs, and
// passes every other request to next. moto cannot do this (it routes a
// presigned GET to its S3 handler), so this checks the request's SigV4
// signature for real, with the secret and session token moto issued for
// the access key (its /moto-api/data.json), and answers with the identity
// moto assumed. Install it as http.DefaultTransport, which the
// authenticator's Verifier uses.
func (m *Moto) STSTransport(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		host := req.URL.Hostname()
		if !strings.HasPrefix(host, "sts.") || !strings.HasSuffix(host, ".amazonaws.com") {
			return next.RoundTrip(req)
		}
		id, err := m.verifyPresigned(req)
		if err != nil {
			return respond(req, http.StatusForbidden, map[string]any{"Error": map[string]string{"Code": "SignatureDoesNotMatch", "Message": err.Error()}}), nil
		}
		return respond(req, http.StatusOK, map[string]any{"GetCallerIdentityResponse": map[string]any{
			"GetCallerIdentityResult": map[string]string{"Arn": id.ARN, "Account": id.Account, "UserId": id.UserID},
			"ResponseMetadata":        map[string]string{"RequestId": "kubectl-tenant-test"},
		}}), nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func respond(req *http.Request, code int, body any) *http.Response {
	data, _ := json.Marshal(body)
	return &http.Response{
		StatusCode: code, Status: http.StatusText(code), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(data)),
		Request: req, ContentLength: int64(len(data)),
	}
}

// issuedCredential is one credential moto issued, as /moto-api/data.json lists it.
type issuedCredential struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token"`
	ARN             string `json:"arn"`
	Account         string `json:"account_id"`
	UserID          string `json:"user_id"`
}

// Issued returns the credential moto issued for an access key: one the
// EKS front saw moto answer with (remember), else read from moto's
// data.json, whose one read (seconds, once EC2 is loaded) caches them all.
// A key moto did not issue is an error.
func (m *Moto) Issued(accessKeyID string) (*issuedCredential, error) {
	m.mu.Lock()
	c, unseen := m.issued[accessKeyID], m.unseen[accessKeyID]
	m.mu.Unlock()
	if c != nil {
		return c, nil
	}
	if unseen {
		return nil, fmt.Errorf("moto issued no access key %s", accessKeyID)
	}
	resp, err := http.Get(m.URL + "/moto-api/data.json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var data struct {
		STS struct {
			AssumedRole []issuedCredential `json:"AssumedRole"`
		} `json:"sts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		return nil, fmt.Errorf("reading moto's data.json: %w", err)
	}
	for i := range data.STS.AssumedRole {
		m.remember(data.STS.AssumedRole[i])
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.issued[accessKeyID]; c != nil {
		return c, nil
	}
	// A key is used only after it is issued, so one data.json did not
	// list is a static key (moto's "testing"): never read again for it.
	if m.unseen == nil {
		m.unseen = map[string]bool{}
	}
	m.unseen[accessKeyID] = true
	return nil, fmt.Errorf("moto issued no access key %s", accessKeyID)
}

// remember keeps a credential moto issued.
func (m *Moto) remember(c issuedCredential) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.issued == nil {
		m.issued = map[string]*issuedCredential{}
	}
	m.issued[c.AccessKeyID] = &c
}

// verifyPresigned checks a presigned GetCallerIdentity request: action,
// age, session token, and the SigV4 signature over the signed headers.
func (m *Moto) verifyPresigned(req *http.Request) (*issuedCredential, error) {
	q := req.URL.Query()
	if q.Get("Action") != "GetCallerIdentity" {
		return nil, fmt.Errorf("action %q, want GetCallerIdentity", q.Get("Action"))
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return nil, fmt.Errorf("algorithm %q", q.Get("X-Amz-Algorithm"))
	}
	credential := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(credential) != 5 || credential[3] != "sts" || credential[4] != "aws4_request" {
		return nil, fmt.Errorf("malformed credential scope %q", q.Get("X-Amz-Credential"))
	}
	amzDate := q.Get("X-Amz-Date")
	signed, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return nil, fmt.Errorf("X-Amz-Date %q: %v", amzDate, err)
	}
	if age := time.Since(signed); age > 15*time.Minute || age < -5*time.Minute {
		return nil, fmt.Errorf("signed %s ago: expired", age)
	}
	issued, err := m.Issued(credential[0])
	if err != nil {
		return nil, err
	}
	if q.Get("X-Amz-Security-Token") != issued.SessionToken {
		return nil, fmt.Errorf("the session token is not the one issued with %s", credential[0])
	}

	// The canonical request (SigV4): every query parameter but the
	// signature, sorted and escaped; the signed headers; the empty payload.
	var params []string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			params = append(params, uriEscape(k)+"="+uriEscape(v))
		}
	}
	sort.Strings(params)
	signedHeaders := q.Get("X-Amz-SignedHeaders")
	var headers strings.Builder
	for _, h := range strings.Split(signedHeaders, ";") {
		v := req.Header.Get(h)
		if h == "host" {
			v = req.URL.Host
		}
		headers.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	emptyPayload := sha256.Sum256(nil)
	canonical := strings.Join([]string{req.Method, "/", strings.Join(params, "&"), headers.String(), signedHeaders, hex.EncodeToString(emptyPayload[:])}, "\n")
	hashed := sha256.Sum256([]byte(canonical))
	scope := strings.Join(credential[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(hashed[:])
	key := []byte("AWS4" + issued.SecretAccessKey)
	for _, part := range credential[1:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(q.Get("X-Amz-Signature"))) {
		return nil, fmt.Errorf("the signature does not match (signed headers %s)", signedHeaders)
	}
	return issued, nil
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// uriEscape escapes as SigV4 requires: everything but A-Z a-z 0-9 - _ . ~.
func uriEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
