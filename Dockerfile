# syntax=docker/dockerfile:1
# The one image for every app process: web (gunicorn), worker and beat (Celery).
# Build: docker build -t handover .   Run: see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    MEDIA_ROOT=/data/media \
    STATIC_ROOT=/app/staticfiles

# WeasyPrint renders PDFs through Pango; DejaVu gives it a font to render with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. Every package, transitive ones
# included, must match a hash in the lock file (pip-compile --generate-hashes, `make lock`).
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

# Code and collected static files stay owned by root: the app user can read, not change them.
COPY . .
# Settings refuse to start with DEBUG=0 and no SECRET_KEY/ALLOWED_HOSTS/broker; these values
# exist only for this build step and are not baked into the image.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-not-a-secret ALLOWED_HOSTS='*' \
    TASKS_IN_PROCESS=1 python manage.py collectstatic --noinput

# The only writable place: uploaded and generated files (mount a volume here).
RUN mkdir -p /data/media && chown app:app /data/media

USER app

EXPOSE 8000

CMD ["gunicorn", "handover.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
