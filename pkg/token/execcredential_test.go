package token

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
)

func TestRequestedAPIVersion(t *testing.T) {
	tests := []struct{ info, want, wantErr string }{
		{"", APIVersionV1, ""},
		{`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}`, APIVersionV1beta1, ""},
		{`{"kind":"ExecCredential"}`, APIVersionV1, ""},
		{`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, "", "supported"},
		{`{`, "", "not valid JSON"},
	}
	for _, tt := range tests {
		got, err := RequestedAPIVersion(tt.info)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.info, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %q %v, want %q", tt.info, got, err, tt.want)
		}
	}
}

// What we print decodes as client-go's own ExecCredential type.
func TestExecCredentialDecodesAsClientGoType(t *testing.T) {
	expiry := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	data, err := ExecCredential(APIVersionV1, "tok", expiry)
	if err != nil {
		t.Fatal(err)
	}
	var got clientauthv1.ExecCredential
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.APIVersion != APIVersionV1 || got.Kind != "ExecCredential" || got.Status.Token != "tok" {
		t.Errorf("decoded %+v", got)
	}
	if diff := cmp.Diff(expiry, got.Status.ExpirationTimestamp.Time.UTC()); diff != "" {
		t.Errorf("expiry (-want +got):\n%s", diff)
	}
}
