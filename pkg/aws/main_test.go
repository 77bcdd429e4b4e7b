package aws

import (
	"os"
	"testing"

	"github.com/kubectl-tenant/kubectl-tenant/test/testenv"
)

// moto is the AWS emulator the package's tests share.
var moto *testenv.Moto

func TestMain(m *testing.M) { os.Exit(testenv.RunWithMoto(m, &moto)) }
