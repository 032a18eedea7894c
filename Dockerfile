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
    && mkdir -p /var/lib/cpts-snp && chown snp /var/lib/cpts-snp

USER snp
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////var/lib/cpts-snp/cpts-snp.db
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz')" || exit 1
CMD ["cpts-snp", "serve"]
