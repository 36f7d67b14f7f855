# PerfHub image: one image for web (gunicorn), Celery workers and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The briefing books (briefings/) are laid out by WeasyPrint with pango, in Noto Sans CJK so
# that Chinese shows.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them. pyproject.toml declares no
# packages ([tool.setuptools] packages = []): `pip install .` installs only the dependencies,
# and the app runs from its source in /app.
COPY pyproject.toml /tmp/perfhub-deps/
RUN pip install /tmp/perfhub-deps && rm -rf /tmp/perfhub-deps

COPY . /app

# Static files, collected into /app/staticfiles for whitenoise's manifest storage. The key
# exists only for this build step; the container must be given its own SECRET_KEY.
RUN DEBUG=0 SECRET_KEY=collectstatic-build-only-not-a-secret \
    python manage.py collectstatic --noinput \
 && useradd --system --create-home --home-dir /home/perfhub --shell /usr/sbin/nologin perfhub

USER perfhub

EXPOSE 8000

CMD ["gunicorn", "perfhub.wsgi", "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--bind", "0.0.0.0:8000"]
