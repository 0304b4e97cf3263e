# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY evidence ./evidence
COPY curation ./curation
COPY publishing ./publishing
COPY manage.py ./
# The paths the services write are created here, owned by `app`: a named volume mounted on
# /data/snapshots starts as a copy of the image's directory, owner included (an empty
# directory that did not exist in the image would come up owned by root).
RUN pip install --no-cache-dir . \
    && useradd --create-home app \
    && mkdir -p /data/snapshots /data/static \
    && chown -R app:app /data
USER app
ENV VAR_DIR=/data SNAPSHOT_ROOT=/data/snapshots STATIC_ROOT=/data/static DJANGO_ENV=production
# Static files are collected once, into the image, with the production storage (hashed,
# compressed names and their manifest); WhiteNoise serves them from every web container. The
# build needs some secret key to load the settings; it is thrown away with this layer.
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
