# fitcoach's production image: the web app, the worker and the release step all run it.
#
#   docker build -t fitcoach .
#   docker run --env-file .env -p 8000:8000 fitcoach                   # web (the default)
#   docker run --env-file .env fitcoach fitcoach worker                 # a worker
#   docker run --env-file .env fitcoach fitcoach db upgrade             # release step
#
# Configuration is by environment variables only (docs/deploy.md); PORT (default 8000)
# and WEB_CONCURRENCY (web processes, default 2) are read by `fitcoach serve`.

# The Python CI tests with (see .python-version).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /build
# Dependencies first, from the lock alone: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
# Then fitcoach itself, installed as a package (not a link to this build directory), with
# the files pyproject.toml puts in the package from outside src/ (the MCP server's metric
# definitions, docs/metrics.md).
COPY README.md ./
COPY docs/metrics.md ./docs/
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
# A system user without a shell or a writable home; numeric so that orchestrators can
# check runAsNonRoot. The metrics directory is made here because prometheus-client opens
# it as soon as fitcoach is imported.
RUN groupadd --system --gid 10001 fitcoach \
    && useradd --system --uid 10001 --gid fitcoach --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin fitcoach \
    && mkdir -p /app/data /tmp/fitcoach-metrics \
    && chown fitcoach:fitcoach /app/data /tmp/fitcoach-metrics
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FITCOACH_MODE=production \
    DATA_DIR=/app/data \
    PROMETHEUS_MULTIPROC_DIR=/tmp/fitcoach-metrics \
    PORT=8000 \
    WEB_CONCURRENCY=2
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# Liveness of the web process (the worker's container disables it: compose.yaml). No curl
# in a slim image: Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]
# Exec form: fitcoach is PID 1 and gets the SIGTERM of `docker stop` (it drains, then exits).
CMD ["fitcoach", "serve", "--host", "0.0.0.0"]
