# shellcheck shell=bash
# Builds kube-apiserver and kube-controller-manager from Debian's `kubernetes`
# source package into the version-keyed cache. Sourced by sandbox/up after
# lib/common.sh.

have_kube_binaries() {
  [[ -x $KUBE_BIN_DIR/kube-apiserver && -x $KUBE_BIN_DIR/kube-controller-manager ]]
}

ensure_kube_binaries() {
  have_kube_binaries && return 0
  mkdir -p "$CACHE_ROOT/kubernetes"
  # fd 9 is the build lock: two instances coming up at once build only once.
  exec 9>"$CACHE_ROOT/kubernetes/$KUBE_VERSION.lock"
  if ! flock -n 9; then
    log "another sandbox is building Kubernetes $KUBE_VERSION; waiting for it"
    flock 9
  fi
  if ! have_kube_binaries; then
    build_kube_binaries
  fi
  exec 9>&-
}

# Prints "URI SUITE KEYRING" for each apt entry with component main, from
# both the one-line and the deb822 formats (KEYRING is "-" when none is named).
debian_archive_entries() {
  local f etc=${1:-/etc/apt}
  for f in "$etc/sources.list" "$etc"/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    awk '
      { sub(/#.*/, "") }
      $1 == "deb" || $1 == "deb-src" {
        i = 2; opts = ""
        if ($2 ~ /^\[/) {
          while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) break; i++ }
          i++
        }
        kr = "-"
        if (match(opts, /signed-by=[^] ]+/)) kr = substr(opts, RSTART + 10, RLENGTH - 10)
        main = 0
        for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
        if (main) print $i, $(i + 1), kr
      }' "$f"
  done
  for f in "$etc"/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    # Paragraph mode: one stanza per record, one field line per awk field.
    awk -v RS= -F'\n' '
      {
        types = uris = suites = comps = ""; kr = "-"; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^#/ || !match($i, /^[A-Za-z-]+:/)) continue
          key = tolower(substr($i, 1, RLENGTH - 1)); val = substr($i, RLENGTH + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", val)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "components") comps = val
          else if (key == "enabled") enabled = val
          else if (key == "signed-by" && val ~ /^\//) kr = val
        }
        if (enabled == "no" || types !~ /(^| )deb( |$)/ || comps !~ /(^| )main( |$)/) next
        nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
        for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) print u[a], s[b], kr
      }' "$f"
  done
}

# A private apt configuration whose only sources are deb-src twins of the
# machine's Debian entries: the machine's own sources and lists stay as they are.
write_private_apt() {
  local dir=$1 uri suite kr n=0
  mkdir -p "$dir/sources.list.d" "$dir/state/lists/partial" "$dir/cache/archives/partial"
  : >"$dir/sources.list"
  while read -r uri suite kr; do
    [[ $suite == bookworm || $suite == bookworm-security ]] || continue
    if [[ $kr != - && -r $kr ]]; then
      printf 'deb-src [signed-by=%s] %s %s main\n' "$kr" "$uri" "$suite"
    else
      printf 'deb-src %s %s main\n' "$uri" "$suite"
    fi
    n=$((n + 1))
  done < <(debian_archive_entries /etc/apt | sort -u) >>"$dir/sources.list"
  if ((n == 0)); then
    log "no bookworm entry in the machine's apt sources; using http://deb.debian.org/debian"
    printf 'deb-src http://deb.debian.org/debian bookworm main\n' >"$dir/sources.list"
  fi
  APT_OPTS=(
    -o "Dir::Etc::SourceList=$dir/sources.list"
    -o "Dir::Etc::SourceParts=$dir/sources.list.d"
    -o "Dir::State=$dir/state"
    -o "Dir::Cache=$dir/cache"
  )
  # As root apt downloads as user _apt, which cannot enter a cache under /root.
  [[ $(id -u) -ne 0 ]] || APT_OPTS+=(-o APT::Sandbox::User=root)
}

build_phase() {
  BUILD_PHASE=$1
  log "[build $((SECONDS - BUILD_T0))s] $1"
}

build_failed() {
  log "error: building Kubernetes $KUBE_VERSION failed while ${BUILD_PHASE}"
  log "last lines of $BUILD_LOG:"
  tail -n 40 "$BUILD_LOG" >&2 || true
  exit 1
}

build_kube_binaries() {
  local kube_dir=$CACHE_ROOT/kubernetes tmp gopath src ver ldflags pkg
  BUILD_T0=$SECONDS
  BUILD_LOG=$kube_dir/build-$KUBE_VERSION.log
  log "Kubernetes $KUBE_VERSION is not in $KUBE_BIN_DIR yet: building it once (several minutes)"
  # Safe under the build lock: a directory left here is from a build that died.
  rm -rf "$kube_dir/.build-$KUBE_VERSION".*
  : >"$BUILD_LOG"

  build_phase "installing build dependencies"
  ensure_packages golang-go build-essential make rsync jq dpkg-dev \
    golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev

  tmp=$(mktemp -d "$kube_dir/.build-$KUBE_VERSION.XXXXXX")
  CLEANUP_PATHS+=("$tmp")

  build_phase "fetching the kubernetes source package from Debian"
  write_private_apt "$tmp/apt"
  sed 's/^/  /' "$tmp/apt/sources.list" >&2
  # An unrelated entry that fails to refresh must not stop the build;
  # apt-get source below fails clearly when the package cannot be had.
  apt-get "${APT_OPTS[@]}" update >>"$BUILD_LOG" 2>&1 ||
    log "apt-get update reported problems (details in $BUILD_LOG); trying anyway"
  (cd "$tmp" && apt-get "${APT_OPTS[@]}" source kubernetes) >>"$BUILD_LOG" 2>&1 || build_failed
  ver=$(sed -n 's/^Version: //p' "$tmp"/kubernetes_*.dsc | head -n1)
  # Debian names this release 1.20.5+really1.20.2: the upstream part must end
  # in the version the cache is keyed by.
  [[ ${ver%-*} == *"${KUBE_VERSION#v}" ]] ||
    die "Debian's kubernetes source package is $ver, not Kubernetes $KUBE_VERSION"
  log "source package kubernetes $ver"

  # GOPATH mode: 1.20 builds the way its own hack/ scripts did; module mode
  # with -mod=vendor stops on "updates to go.mod needed".
  gopath=$tmp/gopath
  src=$gopath/src/k8s.io/kubernetes
  mkdir -p "$gopath/src/k8s.io"
  mv "$tmp"/kubernetes-*/ "$src"
  rm -f "$tmp"/kubernetes_*
  export GOPATH=$gopath GO111MODULE=off CGO_ENABLED=0 GOFLAGS='' GOCACHE=$tmp/gocache
  # The machine is shared: two parallel compile jobs at most.
  export GOMAXPROCS=2

  build_phase "replacing vendored reflect2 and json-iterator"
  # reflect2 1.0.1 crashes under Go >= 1.18 (fatal error: fault in
  # runtime.mapiternext) on the first custom resource write; 1.0.2 and
  # json-iterator 1.1.12 are the versions upstream moved to for Go 1.18.
  rm -rf "$src/vendor/github.com/modern-go/reflect2" "$src/vendor/github.com/json-iterator/go"
  cp -rL /usr/share/gocode/src/github.com/modern-go/reflect2 "$src/vendor/github.com/modern-go/reflect2"
  cp -rL /usr/share/gocode/src/github.com/json-iterator/go "$src/vendor/github.com/json-iterator/go"

  build_phase "generating OpenAPI definitions (make gen_openapi)"
  # pkg/generated/openapi/zz_generated.openapi.go is not shipped in the source.
  (cd "$src" && nice -n 10 make gen_openapi) >>"$BUILD_LOG" 2>&1 || build_failed
  [[ -s $src/pkg/generated/openapi/zz_generated.openapi.go ]] || build_failed

  # The same stamps upstream's release builds set; clients and charts read
  # the server version from them.
  ldflags="-s -w"
  for pkg in k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version \
    k8s.io/kubernetes/vendor/k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION"
    ldflags+=" -X $pkg.gitMajor=$(cut -d. -f1 <<<"${KUBE_VERSION#v}")"
    ldflags+=" -X $pkg.gitMinor=$(cut -d. -f2 <<<"${KUBE_VERSION#v}")"
    ldflags+=" -X $pkg.gitTreeState=archive"
    ldflags+=" -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done

  mkdir -p "$tmp/out"
  local cmd
  for cmd in kube-apiserver kube-controller-manager; do
    build_phase "compiling $cmd"
    (cd "$src" && nice -n 10 go build -p 2 -trimpath -ldflags "$ldflags" \
      -o "$tmp/out/$cmd" "./cmd/$cmd") >>"$BUILD_LOG" 2>&1 || build_failed
    [[ $("$tmp/out/$cmd" --version 2>&1) == "Kubernetes $KUBE_VERSION" ]] || build_failed
  done

  # One rename publishes both binaries: an interrupted build leaves no
  # half-written cache behind.
  printf 'kubernetes source package %s\nbuilt %s with %s\n' "$ver" "$(date -u +%FT%TZ)" \
    "$(go version)" >"$tmp/out/BUILD-INFO"
  rm -rf "$KUBE_BIN_DIR"
  mv -T "$tmp/out" "$KUBE_BIN_DIR"
  unset GOPATH GO111MODULE CGO_ENABLED GOFLAGS GOCACHE GOMAXPROCS
  # Source tree and Go build cache: on a busy machine removing them takes minutes.
  build_phase "binaries cached in $KUBE_BIN_DIR; removing the build tree"
  cleanup_paths
  log "Kubernetes $KUBE_VERSION built in $((SECONDS - BUILD_T0))s"
}
