package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// LocalEKS is EKS on this machine, for tests, demos and benchmarks: moto
// for the AWS APIs, and the EKSFront before it, which gives each cluster
// created through it a real Kubernetes data plane that authenticates IAM
// tokens with aws-iam-authenticator. Env points the AWS SDK and CLI at
// it; nothing in the product knows it is not AWS.
type LocalEKS struct {
	Moto  *Moto
	Front *EKSFront
	saved http.RoundTripper
}

// StartLocalEKS starts moto and the front, with every file under dir.
// The authenticators check tokens with STS through this process's
// http.DefaultTransport, which it replaces with Moto.STSTransport until
// Stop.
func StartLocalEKS(ctx context.Context, dir string) (_ *LocalEKS, err error) {
	l := &LocalEKS{}
	defer func() {
		if err != nil {
			l.Stop()
		}
	}()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if l.Moto, err = StartMoto(ctx, dir); err != nil {
		return nil, err
	}
	if l.Front, err = StartEKSFront(l.Moto, filepath.Join(dir, "eks")); err != nil {
		return nil, err
	}
	l.saved = http.DefaultTransport
	http.DefaultTransport = l.Moto.STSTransport(l.saved)
	return l, nil
}

// Env is the environment of a user of the local EKS: moto's static
// credentials, and every AWS service through the front.
func (l *LocalEKS) Env() []string { return append(l.Moto.Env(), l.Front.Env()...) }

// SetProcessEnv puts Env into this process's environment, for what runs
// in it as a user of the local EKS would (the CAPA controller's
// stand-in, which acts with its environment's credentials as CAPA does).
func (l *LocalEKS) SetProcessEnv() error {
	for _, kv := range l.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	return nil
}

// Stop ends every cluster, the front and moto.
func (l *LocalEKS) Stop() {
	if l.saved != nil {
		http.DefaultTransport = l.saved
	}
	if l.Front != nil {
		l.Front.Close()
	}
	if l.Moto != nil {
		l.Moto.Stop()
	}
}

// Profile is a named AWS profile whose credentials are a session of Role.
type Profile struct{ Name, Role string }

// CredentialsFile is the text of an AWS shared credentials file with a
// profile per p: each a session of its role, assumed through the front
// with moto's static credentials, so that the front knows which account
// the keys act in. They are short-lived session credentials, as `aws
// configure export-credentials` gives; a member account's admin is its
// OrganizationAccountAccessRole, as AWS Organizations reaches it.
func (l *LocalEKS) CredentialsFile(ctx context.Context, p ...Profile) (string, error) {
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(l.Front.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", "testing"),
	})
	var file strings.Builder
	for _, p := range p {
		out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(p.Role), RoleSessionName: aws.String(p.Name)})
		if err != nil {
			return "", fmt.Errorf("assuming %s for profile %s: %w", p.Role, p.Name, err)
		}
		c := out.Credentials
		fmt.Fprintf(&file, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n\n",
			p.Name, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	}
	return file.String(), nil
}
