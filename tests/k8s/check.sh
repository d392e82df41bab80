#!/usr/bin/env bash
# Offline check of the Kubernetes manifests in k8s/.
#
#   bash tests/k8s/check.sh                   render every overlay with
#       `kubectl kustomize`, check the renderings and the Secret templates
#       (check.js: Kubernetes API schema via kubernetes-models, probes,
#       resources, security context, replicas, PDBs, NetworkPolicies), then
#       prove the check fails: break a copy on purpose (break.js) and expect
#       every broken rule to be reported.
#   bash tests/k8s/check.sh --rendered DIR    check the *.yaml in DIR only.
#
# Prints one line per failure and closes with "N passed, M failed"; exits
# non-zero on any failure. Needs kubectl, node and npm; installs Debian's
# nodejs and npm when node or npm is missing (as root), and the npm packages
# of package-lock.json into tests/k8s/node_modules when they are missing
# (the only step that needs the network). Writes nothing else but a temporary
# directory it removes.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return; fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "check.sh: node and npm are needed: apt-get install nodejs npm (as root)" >&2
    exit 1
  fi
  echo "check.sh: installing Debian's nodejs and npm" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
}

# npm ci when node_modules is missing or older than package-lock.json; npm's
# download cache goes to the temporary directory.
ensure_packages() {
  local installed="$HERE/node_modules/.package-lock.json"
  if [[ -f "$installed" && ! "$HERE/package-lock.json" -nt "$installed" ]]; then return; fi
  echo "check.sh: npm ci in tests/k8s" >&2
  (cd "$HERE" && npm ci --cache "$WORK/npm-cache" --no-audit --no-fund --loglevel=error >&2)
}

find_kubectl() {
  if command -v kubectl >/dev/null; then
    command -v kubectl
  elif [[ -x /usr/bin/kubectl ]]; then
    echo /usr/bin/kubectl
  else
    echo "check.sh: kubectl is needed to render the overlays (kubectl kustomize)" >&2
    exit 1
  fi
}

# check_rendered DIR: runs check.js on DIR; its output goes to stdout.
check_rendered() {
  node "$HERE/check.js" "$1"
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/herstel-k8s-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ensure_node
ensure_packages

if [[ "${1:-}" == "--rendered" ]]; then
  if [[ $# -ne 2 || ! -d "$2" ]]; then
    echo "usage: bash tests/k8s/check.sh [--rendered DIR]" >&2
    exit 2
  fi
  check_rendered "$2"
  exit
fi
if [[ $# -ne 0 ]]; then
  echo "usage: bash tests/k8s/check.sh [--rendered DIR]" >&2
  exit 2
fi

KUBECTL="$(find_kubectl)"
mkdir "$WORK/rendered"

failed=0
passed=0
fail() {
  echo "FAIL $1"
  failed=$((failed + 1))
}

# 1. Render every overlay; the Secret templates are checked as one more set.
for overlay in "$ROOT"/k8s/overlays/*/; do
  name="$(basename "$overlay")"
  if "$KUBECTL" kustomize "$overlay" >"$WORK/rendered/$name.yaml" 2>"$WORK/kustomize.err"; then
    passed=$((passed + 1))
  else
    fail "k8s/overlays/$name: kubectl kustomize renders it: $(head -c 500 "$WORK/kustomize.err")"
  fi
done
for template in "$ROOT"/k8s/base/secrets/*.yaml; do
  cat "$template"
  echo "---"
done >"$WORK/rendered/secret-templates.yaml"

# 2 and 3. Schema and rules.
if check_rendered "$WORK/rendered" >"$WORK/check.out"; then :; fi
summary="$(tail -n 1 "$WORK/check.out")"
if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  sed '$d' "$WORK/check.out"
  passed=$((passed + BASH_REMATCH[1]))
  failed=$((failed + BASH_REMATCH[2]))
else
  cat "$WORK/check.out"
  fail "check.js ran to its summary line"
fi

# 4. The check must catch broken manifests: each broken rule is one check.
if ! node "$HERE/break.js" "$WORK/rendered" "$WORK/broken"; then
  fail "self-test: break.js found the workloads to break"
elif bash "$0" --rendered "$WORK/broken" >"$WORK/broken.out"; then
  fail "self-test: check.sh --rendered exits non-zero on broken manifests"
else
  passed=$((passed + 1))
  while IFS= read -r expected; do
    if grep -qF -- "$expected" "$WORK/broken.out"; then
      passed=$((passed + 1))
    else
      fail "self-test: not reported: $expected"
    fi
  done <"$WORK/broken/expected-failures.txt"
fi

echo "$passed passed, $failed failed"
((failed == 0))
