# syntax=docker/dockerfile:1.7
# Telemetry image. Build from the repository root:
#   docker build -f deploy/docker/telemetry.Dockerfile -t llmcouncil/telemetry-service .
#
# Dependencies come from pyproject.toml only: the build stage installs the project itself
# (`pip install .`) into a virtualenv that the runtime stage copies. There is no second list.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
RUN /opt/venv/bin/pip install .

FROM ${PYTHON_IMAGE}
# A fixed numeric uid so Kubernetes' runAsNonRoot can verify it; gid 0 keeps the image usable
# under OpenShift-style random uids. /var/lib/telemetry holds the embedded engine's data when
# CLICKHOUSE_URL is unset (TELEMETRY_DATA_DIR/clickhouse); mount a volume there.
RUN useradd --uid 10001 --gid 0 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/telemetry \
    && chown 10001:0 /var/lib/telemetry \
    && chmod 0770 /var/lib/telemetry
COPY --from=build /opt/venv /opt/venv
COPY deploy/docker/grpc_health_check.py /usr/local/bin/grpc-health-check
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    TELEMETRY_LISTEN_ADDR=0.0.0.0:4317 \
    TELEMETRY_DATA_DIR=/var/lib/telemetry
WORKDIR /var/lib/telemetry
VOLUME ["/var/lib/telemetry"]
USER 10001:0
# OTLP/gRPC and TelemetryQueryService share this port.
EXPOSE 4317
# grpc.health.v1 on the serving port; --listen-env follows a changed TELEMETRY_LISTEN_ADDR.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/venv/bin/python", "/usr/local/bin/grpc-health-check", "--listen-env", "TELEMETRY_LISTEN_ADDR", "--default-addr", "127.0.0.1:4317"]
ENTRYPOINT ["telemetry-service"]
CMD ["serve"]
