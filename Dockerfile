# ivrkit's webhook server as an OCI image: `docker build -t ivrkit .` (or `podman build`), then
# `docker run -p 8080:8080 -v ivrkit-data:/data ivrkit`. docs/install.md explains the settings.
#
# Stage 1 builds the wheel, as `make dist` does, and turns requirements.lock into constraints
# (the lock's pins without its hashes: pip cannot check a hash of the wheel built here).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY src ./src
RUN pip install --no-cache-dir --disable-pip-version-check 'build>=1.2' \
    && python -m build --wheel --outdir /dist . \
    && sed -n 's/^\([A-Za-z0-9][^ ]*==.*[^ \\]\) *\\$/\1/p' requirements.lock > /dist/constraints.txt

# Stage 2: the wheel with its PostgreSQL driver (replicas share a PostgreSQL store) and the locked
# releases of its dependencies, nothing else; run as a user that owns only /data, where the
# SQLite store lives by default (mount a volume there to keep it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IVRKIT_HOST=0.0.0.0 \
    IVRKIT_PORT=8080 \
    IVRKIT_DB=sqlite:////data/ivrkit.db
COPY --from=build /dist /tmp/dist
RUN pip install --no-cache-dir --disable-pip-version-check \
        -c /tmp/dist/constraints.txt "$(echo /tmp/dist/ivrkit-*.whl)[postgres]" \
    && rm -rf /tmp/dist \
    && useradd --system --uid 10001 --user-group --home-dir /data --create-home ivrkit
USER ivrkit
WORKDIR /data
VOLUME /data
EXPOSE 8080
# /healthz answers 200 while the server can keep deliveries, 503 with the reason when it cannot
# (docs/server.md); urllib because the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('IVRKIT_PORT', '8080') + '/healthz', timeout=4)"
# SIGINT, as deploy/ivrkit.service stops it: requests in flight finish and the committer writes
# what is queued (`docker stop` would send SIGTERM).
STOPSIGNAL SIGINT
ENTRYPOINT ["ivrkit", "serve"]
