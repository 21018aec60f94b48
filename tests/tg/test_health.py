"""The health signal: a heartbeat file that `python -m bot health` (Docker HEALTHCHECK) reads."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import cli
from bot.engine import Engine
from bot.health import check, health_path, write_health
from tests.support.fake_bot_api import FakeBotAPI
from tests.support.harness import serving


def record(path: Path, **fields: object) -> None:
    path.write_text(json.dumps(fields), encoding="utf-8")


@pytest.mark.parametrize(
    ("fields", "healthy", "says"),
    [
        ({"last_poll": -10}, True, "healthy: polling"),
        ({"last_poll": -100}, False, "no successful getUpdates for 100 s"),
        ({"last_poll": None}, False, "no successful getUpdates yet"),
        ({"last_poll": -10, "heartbeat": -100}, False, "heartbeat stopped"),
        ({"mode": "webhook", "last_poll": None}, True, "healthy: webhook"),
        ({"mode": "webhook", "heartbeat": -100}, False, "heartbeat stopped"),
        ({"status": "stopped", "reason": "stopped by a signal"}, False, "the bot is stopped"),
        ({"knowledge": "failed", "reason": "qa.yaml:3: bad"}, False, "qa.yaml:3: bad"),
    ],
)
def test_the_check_reads_the_heartbeat(
    tmp_path: Path, fields: dict[str, object], healthy: bool, says: str
) -> None:
    now = 1_000_000.0
    values: dict[str, object] = {
        "status": "running",
        "knowledge": "loaded",
        "mode": "polling",
        "heartbeat": -5,
        **fields,
    }
    for name in ("heartbeat", "last_poll"):  # offsets from now
        if isinstance(values.get(name), int):
            values[name] = now + values[name]  # type: ignore[operator]
    record(tmp_path / "health.json", **values)
    ok, message = check(tmp_path / "health.json", max_age=90, now=now)
    assert ok is healthy
    assert says in message


def test_no_file_or_a_garbled_one_is_unhealthy(tmp_path: Path) -> None:
    assert check(tmp_path / "health.json")[0] is False
    (tmp_path / "health.json").write_text("{not json", encoding="utf-8")
    assert check(tmp_path / "health.json")[0] is False


async def test_unhealthy_when_the_bot_stops_polling(engine: Engine, tmp_path: Path) -> None:
    path = health_path(tmp_path)
    async with (
        FakeBotAPI() as fake,
        serving(fake, engine, data_dir=tmp_path, health=path, heartbeat_every=0.05),
    ):
        await fake.wait_for(lambda: fake.is_long_polling)
        fake.delay("getUpdates", 60)  # the next poll hangs (a dead connection, a stuck loop)
        alice = fake.user(42, "Alice")
        fake.send_text(fake.private_chat(alice), alice, "hello")  # this poll returns
        await fake.wait_for(lambda: check(path, max_age=1.5)[0], what="healthy")
        await fake.wait_for(lambda: not check(path, max_age=1.5)[0], timeout=10)
        assert "no successful getUpdates" in check(path, max_age=1.5)[1]
        fake.delay("getUpdates", 0)
    ok, message = check(path)
    assert not ok and "stopped" in message


def test_python_m_bot_health_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["health"]) == 1  # never started
    write_health(health_path(tmp_path / "data"), "running", mode="polling", last_poll=time.time())
    assert cli.main(["health"]) == 0
    write_health(health_path(tmp_path / "data"), "running", mode="polling", last_poll=0.0)
    assert cli.main(["health"]) == 1
    assert "no successful getUpdates" in capsys.readouterr().err


def test_knowledge_that_fails_to_load_exits_non_zero_and_is_unhealthy(
    knowledge_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    (knowledge_copy / "qa.yaml").write_text("- id: [not, valid\n", encoding="utf-8")
    assert cli.main(["--knowledge", str(knowledge_copy), "run"]) == 2
    shown = capsys.readouterr().err
    assert "qa.yaml" in shown  # the operator sees where the problem is
    assert cli.main(["health"]) == 1
    reason = capsys.readouterr().err
    assert "knowledge failed to load" in reason and "qa.yaml" in reason


def test_unhealthy_when_the_process_that_wrote_the_beat_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "health.json"
    write_health(path, "running", mode="polling", last_poll=time.time())
    assert check(path)[0]  # this process is alive
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    record = json.loads(path.read_text())
    record["pid"] = int(ended.stdout)  # a beat seconds old, from a process that was killed
    path.write_text(json.dumps(record))
    healthy, why = check(path)
    assert not healthy and "is gone" in why
