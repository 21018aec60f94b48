# The bot as a container: `docker build -t article-bot .` then
#   docker run --rm -e TELEGRAM_BOT_TOKEN=123:ABC -v article-bot-data:/app/data --stop-timeout 30 article-bot
# The knowledge lives in a volume seeded from knowledge/ on first start; or mount your own folder
# (read-write and owned by uid 10001, so that admins' uploads and /rollback can be saved):
#   docker run ... -v article-bot-knowledge:/app/knowledge article-bot
#   docker run ... -v "$PWD/knowledge:/app/knowledge" article-bot   (after chown -R 10001 knowledge)
# Or with compose.yaml: docker compose up -d
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml or the lockfile
# changes, not on every edit of the code or the knowledge. The runtime dependencies only, each at
# the version requirements.lock pins: the versions CI tested.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt --constraint requirements.lock \
    && rm /tmp/requirements.txt

# A user without a login shell or root rights runs the bot; it owns the two folders it writes.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir -p /app/data /app/knowledge \
    && chown 10001:10001 /app/data /app/knowledge

COPY bot ./bot
# The shipped knowledge (eval.yaml, the set that gates every admin change, included) is the seed
# of the knowledge volume: on first start the bot copies it into an empty /app/knowledge, which
# it can then write (admins' uploads, /rollback).
COPY knowledge ./knowledge.dist
COPY --chown=10001:10001 knowledge ./knowledge

ENV KNOWLEDGE_DIR=/app/knowledge \
    BOT_DATA_DIR=/app/data

# What the bot knows and remembers; keep both in volumes across restarts and upgrades.
VOLUME ["/app/data", "/app/knowledge"]

USER 10001:10001

# Unhealthy when the bot has not polled Telegram successfully for 90 s, hangs, exited, or could
# not load its knowledge (it then exits non-zero and says why in /app/data/health.json).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

# Webhook mode only (`python -m bot run --webhook`, WEBHOOK_PORT): the reverse proxy's upstream.
EXPOSE 8443

# SIGTERM (docker stop) finishes the answers in progress before exiting; give it time to.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run", "--seed", "/app/knowledge.dist"]
