# The image is rebuilt the same way: the base image by exact version, the Python packages from
# requirements.lock (exact versions, their hashes checked). Both change on purpose only:
#   echo "hatchling>=1.24" | uv pip compile pyproject.toml - --universal --python-version 3.11 \
#     --generate-hashes -o requirements.lock
# (docs/operations.md: the image). .dockerignore keeps the build context to what is copied here.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 VETERAN_CARE_HOST=0.0.0.0 VETERAN_CARE_PORT=8000
WORKDIR /app

# The locked packages first (a layer kept until the lock changes), the build backend with them;
# then the project itself, with nothing resolved or downloaded again.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-deps --no-build-isolation . \
  && useradd --system --home /app veteran && chown -R veteran /app

USER veteran
EXPOSE 8000
# Asks the port `serve` listens on (VETERAN_CARE_PORT), whatever it is set to.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import os, sys, urllib.request; port = os.environ.get('VETERAN_CARE_PORT') or '8000'; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2).status == 200 else 1)"

# `serve` applies migrations before it starts the workers.
CMD ["veteran-care", "serve", "--workers", "2"]
