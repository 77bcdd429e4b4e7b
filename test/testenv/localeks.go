package testenv

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
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
