package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// benchToken: kubectl-tenant token as kubectl runs it (a whole process),
// warm and cold, against `aws eks get-token` and `aws-iam-authenticator
// token`. Everyone signs with the same static credentials for the same
// cluster and region, with no role to assume, so nobody touches the
// network and the figures compare the programs.
func benchToken(r *report, bin, authenticator, dir string) error {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		return fmt.Errorf("aws (the AWS CLI) not found on PATH: it is an anchor of the token figures")
	}
	if authenticator == "" {
		return fmt.Errorf("-authenticator is required (make bench builds it)")
	}
	env := []string{
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		// No custom CA bundle: this machine sets one, and the SDK that
		// both tools sign with parses it (about 8 ms each) even when no
		// request is made.
		"AWS_CA_BUNDLE=",
		"XDG_CACHE_HOME=" + filepath.Join(dir, "token-cache"),
	}
	const runs = 21
	ours := []string{"token", "bench", "--region", "us-east-1"}
	if _, err := measure(1, nil, bin, ours, env); err != nil { // fills the cache
		return err
	}
	warm, err := measure(runs, nil, bin, ours, env)
	if err != nil {
		return err
	}
	cold, err := measure(runs, nil, bin, append(ours, "--no-cache"), env)
	if err != nil {
		return err
	}
	cli, err := measure(5, nil, awsCLI, []string{"eks", "get-token", "--cluster-name", "bench"}, env)
	if err != nil {
		return err
	}
	auth, err := measure(runs, nil, authenticator, []string{"token", "-i", "bench"}, env)
	if err != nil {
		return err
	}
	r.ratio("token, warm cache (whole process)", warm.wall, cli.wall, "aws eks get-token", 50)
	r.ratio("token, warm cache (whole process)", warm.wall, auth.wall, "aws-iam-authenticator token", 3)
	r.ratio("token, cold (sign, no cache)", cold.wall, auth.wall, "aws-iam-authenticator token", 2)
	return nil
}
