# syntax=docker/dockerfile:1.7
# Router image. Build from the repository root:
#   docker build -f deploy/docker/router.Dockerfile -t llmcouncil/router-service .
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
# under OpenShift-style random uids.
RUN useradd --uid 10001 --gid 0 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ROUTER_LISTEN_ADDR=0.0.0.0:50051
USER 10001:0
EXPOSE 50051
# `router-service health` asks grpc.health.v1 on the port of ROUTER_LISTEN_ADDR (a wildcard
# host becomes loopback), so it follows a changed port; add --ca-file/--server-name with TLS.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["router-service", "health", "--timeout", "3"]
ENTRYPOINT ["router-service"]
CMD ["serve"]
