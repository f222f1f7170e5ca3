# The ray-operator image: built on Debian 12 from Debian's packages, run on debian:12-slim with
# only the shared libraries the binary links against.
#
#   docker build -t ray-operator:0.1.0 .

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

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcaf-core0.17 libcaf-io0.17 libcpprest2.10 libyaml-cpp0.7 libspdlog1.10 libfmt9 \
      libssl3 libbrotli1 zlib1g libboost-program-options1.74.0 libprometheus-cpp-core1.0 \
      libhiredis0.14 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=builder /build/app/ray-operator /usr/local/bin/ray-operator
# The chart's runAsUser; a numeric user lets runAsNonRoot be checked without an /etc/passwd entry.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ray-operator"]
