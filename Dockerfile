# The ray-operator image: built on Debian 12 from Debian's packages; what it runs is the binary,
# the shared libraries it loads (copied from those Debian packages) and the CA bundle, on an
# empty base: no shell, no package manager, nothing to exec into.
#
#   docker build -t ray-operator:0.1.0 .
#   scripts/image.sh                        # the same with buildah, no container engine needed

FROM debian:12 AS builder
# scripts/install-deps.sh's list without the tools only the tests use. catch2 stays: the CMake
# configuration looks it up even when only the operator is built.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake g++ make pkg-config \
      libcaf-dev libcpprest-dev libboost-dev libboost-program-options-dev nlohmann-json3-dev \
      libyaml-cpp-dev libspdlog-dev catch2 libssl-dev ca-certificates prometheus-cpp-dev \
      libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target ray-operator -j"$(nproc)" \
 && strip --strip-unneeded /build/app/ray-operator \
 && /build/app/ray-operator --version
# The runtime's files: the binary, every shared library the loader resolves for it, the CA
# bundle, an empty /tmp, the list of Debian packages those libraries came from (docs/install.md
# quotes it) and those packages' copyright notices, which their licences ask to go with them.
RUN set -e; mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/usr/share/doc/ray-operator \
 && chmod 1777 /rootfs/tmp \
 && cp /build/app/ray-operator /rootfs/usr/local/bin/ \
 && libs=$(ldd /build/app/ray-operator | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }') \
 && for lib in $libs; do cp --parents -L "$lib" /rootfs/; done \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && for lib in $libs; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"; done \
    | cut -d: -f1 | sort -u >/rootfs/usr/share/doc/ray-operator/packages \
 && for pkg in $(cat /rootfs/usr/share/doc/ray-operator/packages); do \
      cp --parents "/usr/share/doc/$pkg/copyright" /rootfs/; done \
 && cat /rootfs/usr/share/doc/ray-operator/packages

FROM scratch
COPY --from=builder /rootfs /
# The chart's runAsUser; a numeric user lets runAsNonRoot be checked without an /etc/passwd entry.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ray-operator"]
