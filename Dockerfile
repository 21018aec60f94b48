# The bot as a container: `docker build -t article-bot .` then
#   docker run --rm -e TELEGRAM_BOT_TOKEN=123:ABC -v article-bot-data:/app/data --stop-timeout 30 article-bot
# The knowledge in knowledge/ is baked in; mount your own over it to change what the bot knows
# (read-write, so that admins' uploads and /rollback can be saved; add :ro to allow edits on the
# host only):
#   docker run ... -v "$PWD/knowledge:/app/knowledge" article-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes,
# not on every edit of the code or the knowledge.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# A user without a login shell or root rights runs the bot.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bot \
    && mkdir -p /app/data \
    && chown bot /app/data

COPY bot ./bot
# knowledge/eval.yaml, the evaluation set that gates every admin change, comes with it.
COPY knowledge ./knowledge

ENV KNOWLEDGE_DIR=/app/knowledge \
    BOT_DATA_DIR=/app/data

# What the bot remembers lives here; keep it in a volume across restarts.
VOLUME ["/app/data"]

USER bot

# Unhealthy when the bot has not polled Telegram successfully for 90 s, hangs, exited, or could
# not load its knowledge (it then exits non-zero and says why in /app/data/health.json).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

# Webhook mode only (`python -m bot run --webhook`, WEBHOOK_PORT): the reverse proxy's upstream.
EXPOSE 8443

# SIGTERM (docker stop) finishes the answers in progress before exiting; give it time to.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
