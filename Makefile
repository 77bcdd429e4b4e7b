# kubectl-tenant. `make test` is the test command: unit, integration and
# end-to-end tests against a real kube-apiserver, etcd, kubectl and moto.

GO      ?= go
BIN     := bin/kubectl-tenant
ENGINE  := bin/kubectl-tenant-engine
SIGNER  := bin/kubectl-tenant-signer
READER  := bin/kubectl-tenant-reader
MODULE  := github.com/kubectl-tenant/kubectl-tenant
PREFIX  ?= $(shell $(GO) env GOPATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
# A release: VERSION names it; its archives are stamped with the last
# commit that changed anything but the krew manifest, and that commit's
# date (not the clock), so that building twice gives the same bytes, and
# the commit that records the archives' digests in krew-manifest.yaml
# builds the very archives it describes.
RELEASE        := $(shell cat VERSION)
RELEASE_COMMIT ?= $(shell git log -1 --format=%H -- . ':(exclude)krew-manifest.yaml' 2>/dev/null)
RELEASE_DATE   ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ $(RELEASE_COMMIT) 2>/dev/null)
DIST         ?= dist
KREW_MANIFEST ?= krew-manifest.yaml
LDFLAGS := -s -w \
	-X $(MODULE)/pkg/version.version=$(VERSION) \
	-X $(MODULE)/pkg/version.commit=$(COMMIT) \
	-X $(MODULE)/pkg/version.date=$(DATE)

# The control-plane binaries live outside the clone, keyed by the pinned
# versions (one source of truth: test/testenv), so fresh clones reuse them.
# kube-controller-manager runs beside the apiserver for what real clusters
# rely on: ClusterRole aggregation (admin/edit/view) and namespace deletion.
TESTBIN_VERSION := $(shell sed -n 's/^const Version = "\(.*\)"$$/\1/p' test/testenv/testbin.go)
TESTBIN ?= $(or $(KUBECTL_TENANT_TESTBIN),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kubectl-tenant/testbin/$(TESTBIN_VERSION))
export KUBECTL_TENANT_TESTBIN := $(TESTBIN)

.PHONY: all build install test lint bench testbin controlplane fuzz clean dist krew-manifest demo

all: build

# Four binaries: kubectl-tenant, a lean front that answers warm
# exec-plugin token requests from the cache; kubectl-tenant-signer, which
# signs an IAM token on a miss; kubectl-tenant-reader, which answers the
# everyday read commands and completion without the full command's start;
# and kubectl-tenant-engine, the full command the front hands everything
# else to.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-tenant
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(SIGNER) ./cmd/kubectl-tenant-signer
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(READER) ./cmd/kubectl-tenant-reader
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(ENGINE) ./cmd/kubectl-tenant-engine

# kubectl finds the plugin as kubectl-tenant on PATH, and completes its
# arguments through kubectl_complete-tenant (a link to the same binary).
# The engine, the signer and the reader stay off PATH.
install: build
	install -d $(PREFIX)/bin $(PREFIX)/libexec/kubectl-tenant
	install -m 0755 $(BIN) $(PREFIX)/bin/kubectl-tenant
	install -m 0755 $(ENGINE) $(PREFIX)/libexec/kubectl-tenant/kubectl-tenant-engine
	install -m 0755 $(SIGNER) $(PREFIX)/libexec/kubectl-tenant/kubectl-tenant-signer
	install -m 0755 $(READER) $(PREFIX)/libexec/kubectl-tenant/kubectl-tenant-reader
	ln -sf kubectl-tenant $(PREFIX)/bin/kubectl_complete-tenant

# The story on a local EKS, no AWS account needed: moto, the EKS front and
# a kube-apiserver per cluster. CI=true runs it without pauses and fails
# when a step does not do what it says; KEEP=1 leaves it running at the end
# until Ctrl-C.
demo: build controlplane
	@$(GO) build -o bin/kubectl-tenant-demo ./hack/demo
	@CI=$(CI) KEEP=$(KEEP) bin/kubectl-tenant-demo -bin bin

# Release archives for every platform, and sha256sums.txt, in $(DIST).
dist:
	$(GO) run ./hack/dist -version $(RELEASE) -commit $(RELEASE_COMMIT) -date $(RELEASE_DATE) -out $(DIST) $(if $(PLATFORMS),-platforms $(PLATFORMS))

# The krew manifest of the release, from hack/krew-manifest/tenant.yaml.tmpl
# and the archives' sha256.
krew-manifest: dist
	$(GO) run ./hack/krew-manifest -version $(RELEASE) -sums $(DIST)/sha256sums.txt -out $(KREW_MANIFEST) $(if $(PLATFORMS),-platforms $(PLATFORMS))

# The end-to-end package starts a local EKS cluster (a control plane) per
# cluster its stories create, and takes over ten minutes, go test's
# default limit; the limit here still catches a hang.
test: testbin
	$(GO) test -race -count=1 -timeout 40m ./...
	$(GO) test ./pkg/reconcile -run '^$$' -fuzz FuzzDocument -fuzztime $(TEST_FUZZTIME)
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzPlainItem -fuzztime $(TEST_FUZZTIME)
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzPlainWrite -fuzztime $(TEST_FUZZTIME)
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzPlainMapping -fuzztime $(TEST_FUZZTIME)

# The front binary answers every kubectl call of a generated kubeconfig:
# it may link the standard library, pkg/token, pkg/atomicfile,
# pkg/handoff and pkg/answercache only. The reader answers the everyday read commands in a
# fraction of the engine's start: it must not link the packages whose
# initialisation makes that start (client-go's clientset and its scheme,
# the AWS SDK, kubectl's and cobra's command libraries).
FRONT_DEPS_ALLOWED := $(MODULE)/cmd/kubectl-tenant $(MODULE)/pkg/token $(MODULE)/pkg/atomicfile $(MODULE)/pkg/handoff $(MODULE)/pkg/answercache
READER_DEPS_REFUSED := ^(github.com/spf13/cobra|k8s.io/kubectl|k8s.io/client-go/kubernetes|k8s.io/client-go/rest|k8s.io/cli-runtime/pkg/genericclioptions|github.com/aws/aws-sdk-go-v2/(config|credentials|service))(/|$$)
SIGNER_DEPS_REFUSED := ^(github.com/spf13/cobra|k8s.io/kubectl|k8s.io/cli-runtime|k8s.io/client-go|k8s.io/apimachinery/pkg/runtime|sigs.k8s.io/aws-iam-authenticator|github.com/prometheus)(/|$$)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool -modfile=hack/tools/lint/go.mod staticcheck ./...
	@extra=$$($(GO) list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./cmd/kubectl-tenant | grep -vxF $(foreach p,$(FRONT_DEPS_ALLOWED),-e $(p))); \
	if [ -n "$$extra" ]; then echo "cmd/kubectl-tenant (the exec-plugin hot path) must link only the standard library, pkg/token, pkg/atomicfile, pkg/handoff and pkg/answercache; it links: $$extra"; exit 1; fi
	@heavy=$$($(GO) list -deps ./cmd/kubectl-tenant-reader | grep -E '$(READER_DEPS_REFUSED)'); \
	if [ -n "$$heavy" ]; then echo "cmd/kubectl-tenant-reader (the everyday read path) must not link what makes the engine's start; it links: $$heavy"; exit 1; fi
	@heavy=$$($(GO) list -deps ./cmd/kubectl-tenant-signer | grep -E '$(SIGNER_DEPS_REFUSED)'); \
	if [ -n "$$heavy" ]; then echo "cmd/kubectl-tenant-signer (the cold token path) must not link the CLI libraries, client-go, the apimachinery runtime or aws-iam-authenticator's generator; it links: $$heavy"; exit 1; fi
	$(GO) run ./hack/krew-manifest -version $(RELEASE) -check krew-manifest.yaml
	GOOS=windows $(GO) build ./...
	GOOS=darwin $(GO) build ./...

# Figures and ratios against the real anchors, measured in one run; exits
# non-zero when a target in DESIGN.md is missed.
bench: build testbin $(TESTBIN)/aws-iam-authenticator
	$(GO) run ./hack/bench -bin $(BIN) -authenticator $(TESTBIN)/aws-iam-authenticator

# Search for new failing kubeconfig inputs (the seed corpus runs in `make test`).
# make test itself searches for TEST_FUZZTIME each for Tenant documents
# that crash apply's planning, and for kubeconfig entries that the plain
# codec reads or writes otherwise than the YAML library.
FUZZTIME ?= 5m
TEST_FUZZTIME ?= 20s
fuzz:
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzMerge -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzPlainItem -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzPlainWrite -fuzztime $(FUZZTIME)
	$(GO) test ./pkg/kubeconfig -run '^$$' -fuzz FuzzPlainMapping -fuzztime $(FUZZTIME)

testbin: controlplane $(TESTBIN)/krew $(TESTBIN)/validate-krew-manifest

controlplane: $(TESTBIN)/kube-apiserver $(TESTBIN)/kube-controller-manager $(TESTBIN)/etcd

$(TESTBIN)/kube-apiserver:
	@mkdir -p $(TESTBIN)
	@echo "building kube-apiserver into $(TESTBIN) (a few minutes the first time)"
	cd hack/tools/apiserver && $(GO) build -trimpath -o $@.tmp k8s.io/kubernetes/cmd/kube-apiserver
	mv $@.tmp $@

$(TESTBIN)/kube-controller-manager:
	@mkdir -p $(TESTBIN)
	@echo "building kube-controller-manager into $(TESTBIN) (a few minutes the first time)"
	cd hack/tools/apiserver && $(GO) build -trimpath -o $@.tmp k8s.io/kubernetes/cmd/kube-controller-manager
	mv $@.tmp $@

# An anchor of the token figures; only make bench needs it.
$(TESTBIN)/aws-iam-authenticator:
	@mkdir -p $(TESTBIN)
	cd hack/tools/authenticator && $(GO) build -trimpath -o $@.tmp sigs.k8s.io/aws-iam-authenticator/cmd/aws-iam-authenticator
	mv $@.tmp $@

# krew itself, and its manifest validator, at the release the krew index
# uses: the test installs the release archive with them, offline.
$(TESTBIN)/krew $(TESTBIN)/validate-krew-manifest:
	@mkdir -p $(TESTBIN)
	@echo "building $(notdir $@) into $(TESTBIN)"
	cd hack/tools/krew && $(GO) build -trimpath -o $@.tmp sigs.k8s.io/krew/cmd/$(notdir $@)
	mv $@.tmp $@

$(TESTBIN)/etcd:
	@mkdir -p $(TESTBIN)
	@echo "building etcd into $(TESTBIN) (a minute the first time)"
	cd hack/tools/etcd && $(GO) build -trimpath -o $@.tmp .
	mv $@.tmp $@

clean:
	rm -rf bin $(DIST)
