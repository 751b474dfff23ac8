#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672: start it if installed, install it
# (Debian packages, as root) when missing, then wait until the port answers.
set -euo pipefail

answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if answers; then exit 0; fi
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "RabbitMQ is not installed; install it (apt-get install rabbitmq-server) or run as root" >&2
    exit 1
  fi
  echo "installing rabbitmq-server" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
fi
echo "starting RabbitMQ" >&2
rabbitmq-server -detached || true
for _ in $(seq 1 120); do
  if answers; then
    rabbitmqctl await_startup >/dev/null 2>&1 || true
    exit 0
  fi
  sleep 1
done
echo "RabbitMQ did not answer on 127.0.0.1:5672 within 120 s" >&2
exit 1
