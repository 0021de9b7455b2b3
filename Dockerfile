# One image for the two Python services beside Odoo: the billing sandbox and the sync daemon.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml setup.cfg README.md ./
COPY billing_sandbox ./billing_sandbox
COPY sync_daemon ./sync_daemon
RUN pip install --no-cache-dir . && useradd --create-home tektoro && mkdir -p /data && chown tektoro /data
USER tektoro
VOLUME ["/data"]
