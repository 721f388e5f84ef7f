# Production image for web, worker and beat (see docker-compose.yml). It holds no key: secrets
# come from the environment at run time, and AUDIT_SIGNING_KEY only for beat (AUDIT_SIGNER=1,
# `celery worker --beat -Q audit`); web and worker run without it. The `migrate` service runs
# as the database owner and `manage.py grant_app_role`; the others as the application role.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH

# Pango and a font for WeasyPrint (the PDFs: art. 30 record, access reports).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv==0.13.8 \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin tvaers \
    && mkdir -p /var/lib/tvaers && chown tvaers /var/lib/tvaers

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --python "$(command -v python3)"
COPY . .
# Hashed, compressed static files baked into the image; development keys suffice for this step.
RUN DEBUG=1 STATICFILES_MANIFEST=1 STATIC_ROOT=/app/staticfiles python manage.py collectstatic --no-input -v 0

USER tvaers
ENV STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
