FROM python:3.13-slim
WORKDIR /app
# Every package pinned with its hash (requirements.lock), then the project without dependencies.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin skills
ENV PYTHONUNBUFFERED=1 ENVIRONMENT=production
# Nothing the services run may write to the image: they keep their data in MongoDB.
USER skills
# docker-compose sets the service name: python -m services --one <name>
ENTRYPOINT ["python", "-m", "services", "--one"]
