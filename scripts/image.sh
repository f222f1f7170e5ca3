#!/usr/bin/env bash
# Builds the operator's image from the project's Dockerfile, as `docker build` would, with
# buildah (Debian's package) and no container engine:
#
#   scripts/image.sh [TAG]            TAG defaults to ray-operator:<the project's version>
#
# The Dockerfile's base image (debian:12) is pulled from its registry when one answers; else it
# is made here from Debian's archive — debootstrap --variant=minbase bookworm from the machine's
# Debian mirror, with the machine's bookworm suites as its apt sources — cached as a tarball in
# ~/.cache/ray-operator/images/ (RAY_OPERATOR_CACHE), and tagged under the name the Dockerfile
# uses. The image then builds with `buildah bud --isolation chroot --pull=never` and lives in
# buildah's storage; `buildah push` takes it to a registry (docs/install.md). Idempotent: a
# second run reuses the base and buildah's layer cache.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/sandbox/lib/common.sh"      # log, die, ensure_packages, CACHE_ROOT
. "$repo/sandbox/lib/kube-build.sh"  # debian_archive_entries

version=$(sed -n 's/^project(ray-operator VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
tag=${1:-ray-operator:$version}
ensure_packages buildah debootstrap
# chroot isolation runs the build's steps without a container runtime (buildah's storage is its
# default: overlay where the kernel has it).
export BUILDAH_ISOLATION=chroot

# The base: the official image when a registry answers, else one made from Debian's archive.
base_from_debian() {  # NAME...: the names the Dockerfile gives it
  local dir=$CACHE_ROOT/images tarball mirror tmp ctr name
  tarball=$dir/debian-bookworm-minbase.tar
  mkdir -p "$dir"
  if [[ ! -s $tarball ]]; then
    mirror=$(debian_archive_entries /etc/apt | awk '$2 == "bookworm" { print $1; exit }')
    mirror=${mirror:-http://deb.debian.org/debian}
    tmp=$(mktemp -d "$dir/.rootfs.XXXXXX")
    CLEANUP_PATHS+=("$tmp")
    log "making a Debian 12 base image with debootstrap from $mirror (once; cached in $dir)"
    debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
      { tail -20 "$tmp/debootstrap.log" >&2; die "debootstrap failed"; }
    # The machine's bookworm suites (updates and security included), as an official image has.
    debian_archive_entries /etc/apt | awk '$2 ~ /^bookworm(-updates|-security)?$/ {
        print "deb " $1 " " $2 " main" }' | sort -u >"$tmp/rootfs/etc/apt/sources.list.new"
    if [[ -s $tmp/rootfs/etc/apt/sources.list.new ]]; then
      mv "$tmp/rootfs/etc/apt/sources.list.new" "$tmp/rootfs/etc/apt/sources.list"
    else
      rm -f "$tmp/rootfs/etc/apt/sources.list.new"
    fi
    rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb "$tmp/rootfs/var/lib/apt/lists/"*
    tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
    mv -f "$tmp/rootfs.tar" "$tarball"
    cleanup_paths
  fi
  ctr=$(buildah from --quiet scratch)
  buildah add --quiet "$ctr" "$tarball" / >/dev/null
  buildah config --cmd /bin/bash "$ctr"
  buildah commit --quiet --rm "$ctr" "$1" >/dev/null
  for name in "${@:2}"; do buildah tag "$1" "$name"; done
}
for base in $(sed -n 's/^FROM \([^ ]*\).*/\1/p' "$repo/Dockerfile" | sort -u); do
  [[ $base == scratch ]] && continue
  buildah inspect --type image "docker.io/library/$base" >/dev/null 2>&1 && continue
  if timeout 60 buildah pull --quiet "docker.io/library/$base" >/dev/null 2>&1; then
    log "pulled $base"
    continue
  fi
  log "no registry answers for $base: making it from Debian's archive"
  base_from_debian "docker.io/library/$base" "localhost/$base"
done

log "building $tag from $repo/Dockerfile"
buildah bud --quiet --layers --pull=never -f "$repo/Dockerfile" -t "$tag" "$repo" >&2
log "built $tag: $(buildah images --format '{{.Size}}' "$tag" | head -1)"
echo "$tag"
