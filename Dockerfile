FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
# docker-compose sets the service name: python -m services --one <name>
ENTRYPOINT ["python", "-m", "services", "--one"]
