#!/usr/bin/env bash
# Runs roam's whole test suite. On a fresh Debian machine with Go it first
# installs what the tests need (openssl, python3 with boto3, the AWS CLI,
# SoftHSM for the PKCS#11 backend, swtpm for the TPM backend, and a C
# compiler, since PKCS#11 needs cgo), so nothing has to be installed by
# hand. Every external tool is then required: a missing one fails the run
# instead of skipping tests.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to install packages: $*"; return 1; fi
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v python3 >/dev/null || missing+=(python3)
if ! python3 -c 'import boto3' 2>/dev/null; then missing+=(python3-boto3); fi
command -v aws >/dev/null || missing+=(awscli)
command -v softhsm2-util >/dev/null || missing+=(softhsm2)
command -v swtpm >/dev/null || missing+=(swtpm swtpm-tools)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

log "tools: $(go version | cut -d' ' -f3), $(openssl version | cut -d' ' -f1-2), $(aws --version 2>&1 | cut -d' ' -f1), boto3 $(python3 -c 'import boto3; print(boto3.__version__)')"

log "tools: softhsm2 $(softhsm2-util --version 2>&1), $(swtpm --version 2>&1 | cut -d, -f1), gcc $(gcc -dumpfullversion)"

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  printf 'gofmt would change:\n%s\n' "$unformatted" >&2
  exit 1
fi

log "go vet"
go vet ./...

log "builds: static (CGO_ENABLED=0) full and helper-only binaries"
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
CGO_ENABLED=0 go build -o "$bindir/roam" ./cmd/roam
CGO_ENABLED=0 go build -tags helper -o "$bindir/roam-helper" ./cmd/roam
out=$("$bindir/roam-helper" credential-process --certificate pkcs11:token=x --trust-anchor-arn arn:aws:rolesanywhere:us-east-1:1:trust-anchor/x \
  --profile-arn arn:aws:rolesanywhere:us-east-1:1:profile/x --role-arn arn:aws:iam::1:role/x 2>&1 || true)
grep -q "needs a roam built with cgo" <<<"$out" ||
  { log "the static helper build does not explain that PKCS#11 needs cgo: $out"; exit 1; }

log "go test"
export ROAM_TEST_REQUIRE_ALL=1
export CGO_ENABLED=1 # the PKCS#11 backend and its SoftHSM tests need cgo
go test -count=1 -timeout 12m "$@" ./...
