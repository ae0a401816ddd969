# The baocao image: one binary (`baocao`) with every subcommand, the registry data and
# an example config. Build: `docker build -t baocao:0.1.0 .` (see docs/operations.md).
#
# Stage 1: build. Debian bookworm, as CI; protoc from Debian (datafusion-substrait runs
# it from the PATH); librdkafka is compiled in (bundled), with OpenSSL for TLS/SASL.
FROM rust:1.95-bookworm AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential pkg-config zlib1g-dev libssl-dev protobuf-compiler cmake \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p baocao \
 && cp target/release/baocao /usr/local/bin/baocao

# Stage 2: run. Slim Debian with OpenSSL and CA roots only; a non-root user owns /var/lib/baocao.
FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates libssl3 zlib1g tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 baocao \
 && useradd --system --uid 10001 --gid baocao --home /var/lib/baocao --create-home baocao
COPY --from=build /usr/local/bin/baocao /usr/local/bin/baocao
COPY data /usr/share/baocao/data
COPY config/baocao.example.toml /usr/share/baocao/baocao.example.toml
ENV BAOCAO_DATA_DIR=/usr/share/baocao/data \
    BAOCAO_LOG__FORMAT=json
USER 10001:10001
WORKDIR /var/lib/baocao
# gRPC gateway, Flight SQL, metrics.
EXPOSE 50051 50061 9464
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/baocao"]
CMD ["--help"]
