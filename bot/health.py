"""The health signal a container orchestrator reads: a heartbeat file and the check of it.

While the bot runs, :func:`heartbeat` rewrites ``BOT_DATA_DIR/health.json`` every few seconds
with the time of the last successful ``getUpdates`` (polling) or of the beat itself (webhook).
``python -m bot health`` (the Docker ``HEALTHCHECK``) exits 0 only when that file is fresh and
says the knowledge loaded; a bot that stopped polling, hung, exited or could not load its
knowledge is unhealthy. No Telegram import here: the check must start fast.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEALTH_FILE = "health.json"
HEARTBEAT_EVERY = 15.0  # seconds between beats
MAX_AGE = 90.0  # seconds without a successful poll (or beat) before the bot counts as unhealthy

log = logging.getLogger(__name__)

RUNNING = "running"
STOPPED = "stopped"
FAILED = "failed"


def health_path(data_dir: Path) -> Path:
    return data_dir / HEALTH_FILE


def write_health(
    path: Path,
    status: str,
    *,
    mode: str | None = None,
    knowledge: str = "loaded",
    last_poll: float | None = None,
    reason: str | None = None,
) -> None:
    """Replace the health file atomically (a reader never sees half of it)."""
    record: dict[str, Any] = {
        "status": status,
        "knowledge": knowledge,
        "mode": mode,
        "heartbeat": time.time(),
        "last_poll": last_poll,
        "reason": reason,
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def mark_failed(path: Path, reason: str, *, knowledge: str = "loaded") -> None:
    """Record why the bot is not running (best effort: the data folder may be read-only)."""
    _try_write(path, FAILED, knowledge=knowledge, reason=reason)


def mark_stopped(path: Path, mode: str) -> None:
    """Record a clean stop: the check then says so instead of waiting for the beat to age."""
    _try_write(path, STOPPED, mode=mode, reason="stopped by a signal")


def _try_write(path: Path, status: str, **fields: Any) -> None:
    try:
        write_health(path, status, **fields)
    except OSError as exc:
        log.warning("could not write %s: %s", path, exc)


async def heartbeat(
    path: Path,
    mode: str,
    last_poll: Callable[[], float | None],
    every: float = HEARTBEAT_EVERY,
) -> None:
    """Rewrite the health file every ``every`` seconds until cancelled."""
    while True:
        try:
            write_health(path, RUNNING, mode=mode, last_poll=last_poll())
        except OSError as exc:  # a full disk must not stop the bot; the check will say stale
            log.warning("could not write %s: %s", path, exc)
        await asyncio.sleep(every)


def check(path: Path, max_age: float = MAX_AGE, now: float | None = None) -> tuple[bool, str]:
    """(healthy, one line saying why) from the health file at ``path``."""
    now = time.time() if now is None else now
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, f"unhealthy: no {path} (the bot has not started)"
    except (OSError, ValueError) as exc:
        return False, f"unhealthy: cannot read {path}: {exc}"
    if not isinstance(record, dict):
        return False, f"unhealthy: {path} is not a health record"
    if record.get("knowledge") != "loaded":
        return False, f"unhealthy: knowledge failed to load: {record.get('reason')}"
    status = record.get("status")
    if status == RUNNING and _gone(record):
        return False, f"unhealthy: the bot process (pid {record['pid']}) is gone"
    if status != RUNNING:
        reason = record.get("reason")
        return False, f"unhealthy: the bot is {status}" + (f": {reason}" if reason else "")
    if record.get("mode") == "polling":
        last_poll = record.get("last_poll")
        if not isinstance(last_poll, int | float):
            return _fresh(record, now, max_age, "no successful getUpdates yet", healthy=False)
        age = now - last_poll
        if age > max_age:
            return False, f"unhealthy: no successful getUpdates for {age:.0f} s"
        return _fresh(record, now, max_age, f"polling, last getUpdates {age:.0f} s ago")
    return _fresh(record, now, max_age, f"{record.get('mode')}")


def _gone(record: dict[str, Any]) -> bool:
    """The process that wrote ``record`` no longer exists (checked on the same machine or
    container only: elsewhere its pid means nothing)."""
    pid = record.get("pid")
    if not isinstance(pid, int) or record.get("host") != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def _fresh(
    record: dict[str, Any], now: float, max_age: float, what: str, *, healthy: bool = True
) -> tuple[bool, str]:
    """``healthy`` and ``what`` when the heartbeat is fresh; unhealthy whatever they say if not
    (a stale beat is the more telling reason)."""
    beat = record.get("heartbeat")
    if not isinstance(beat, int | float) or now - beat > max_age:
        return False, "unhealthy: the heartbeat stopped (the bot hangs or was killed)"
    return healthy, f"{'healthy' if healthy else 'unhealthy'}: {what}"
