"""Shared fixtures: the shipped knowledge, and writable copies of it for validation tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.engine import Engine, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One engine over the shipped knowledge (matching is pure, so tests can share it)."""
    return Engine(load_knowledge(KNOWLEDGE))


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge folder, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target
