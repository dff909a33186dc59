# The SAAF portal's image: one image for web (gunicorn), worker and beat.
# Not built in CI (no Docker engine there); see README, "Production".
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY assets ./assets
COPY scripts/build-assets.mjs ./scripts/build-assets.mjs
COPY static ./static
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_DEBUG=0
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-liberation2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt ./
RUN pip install --no-cache-dir -c constraints.txt .
COPY . .
COPY --from=assets /app/static/build ./static/build
# collectstatic needs settings that import; these values exist only for this step.
# The static files are compressed and given hashed names here (WhiteNoise's
# CompressedManifestStaticFilesStorage); gunicorn's WhiteNoise serves them.
RUN DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    SAAF_MFA_ENCRYPTION_KEY=YnVpbGQtb25seS1idWlsZC1vbmx5LWJ1aWxkLW9ubHk= \
    DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput
RUN useradd --system --uid 1000 saaf && chown -R saaf /app
USER saaf
EXPOSE 8000
# No gunicorn access log: the portal writes one line per request itself
# (saaf.request, with the user id), and never the path of a reset link.
CMD ["gunicorn", "saaf.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
