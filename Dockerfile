# cpts-snp API: slim image, non-root user; `cpts-snp serve` applies migrations, then starts uvicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/cpts-snp
COPY pyproject.toml README.md ./
COPY app ./app
COPY solver ./solver
COPY migrations ./migrations
RUN pip install . \
    && useradd --create-home --uid 10001 snp \
    && mkdir -p /var/lib/cpts-snp && chown 10001 /var/lib/cpts-snp

# Numeric, so orchestrators can check that the image does not run as root.
USER 10001
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////var/lib/cpts-snp/cpts-snp.db
# The default SQLite database lives here: mount a volume to keep it across containers.
VOLUME ["/var/lib/cpts-snp"]
EXPOSE 8000
# Exec form (no shell); reads PORT when it runs, so `-e PORT=9000` is checked on 9000.
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=2)"]
CMD ["cpts-snp", "serve"]
