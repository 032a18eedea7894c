# cpts-snp: slim image, non-root user. Alone, `cpts-snp serve` applies migrations, then starts
# uvicorn on the SQLite default. In production (compose.yaml) one release container runs
# `cpts-snp migrate`, then the API replicas run `cpts-snp serve --no-migrate` and the
# workers `cpts-snp worker`, all from this image.
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
# ENVIRONMENT=production refuses SQLite and a PUBLIC_BASE_URL that is not https://; set both
# with the real PostgreSQL DATABASE_URL (README, "Configuration" and "Deployment").
# PUBLIC_BASE_URL is the address users see: links in e-mails and calendar feeds, cookies.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    ENVIRONMENT=development \
    PUBLIC_BASE_URL=http://localhost:8000 \
    DATABASE_URL=sqlite:////var/lib/cpts-snp/cpts-snp.db
# The default SQLite database lives here: mount a volume to keep it across containers.
VOLUME ["/var/lib/cpts-snp"]
EXPOSE 8000
# Exec form (no shell); reads PORT when it runs, so `-e PORT=9000` is checked on 9000.
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=2)"]
CMD ["cpts-snp", "serve"]
