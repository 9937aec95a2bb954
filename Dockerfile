FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VETERAN_CARE_HOST=0.0.0.0 VETERAN_CARE_PORT=8000
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install . && useradd --system --home /app veteran && chown -R veteran /app

USER veteran
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"

# `serve` applies migrations before it starts the workers.
CMD ["veteran-care", "serve", "--workers", "2"]
