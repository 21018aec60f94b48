"""What the Docker image does at start, checked without Docker: the entrypoint seeds an empty
knowledge volume, and the bot's user (uid 10001, as in the Dockerfile) can then save admins'
uploads there. The Dockerfile itself is linted by hadolint in CI (.ci/run)."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import seed_knowledge
from bot.curation import Curator
from bot.engine import Engine, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
UID = 10001
ENTRY = b"""
- id: lachin-region
  questions:
    - Where is the Lachin region mentioned?
  answer: >-
    Azerbaijan's Defense Ministry says Armenian troops shelled villages in the Lachin region.
  cite:
    - az-mod-shelling
"""


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder the image's user can reach (pytest's own tmp_path is under a root-only one)."""
    base = Path(tempfile.mkdtemp(prefix="docker-volume-"))
    if os.geteuid() == 0:
        os.chown(base, UID, UID)
    # The lexicon and the stemmer load on first use: load them here, before any drop of rights.
    Engine(load_knowledge(ROOT / "knowledge"))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def as_image_user(work: Callable[[], str], tmp_path: Path) -> str:
    """Run ``work`` as uid 10001 when the tests run as root (CI, this machine), in a forked
    child so that this process keeps its rights; else as the current user. Its result."""
    if os.geteuid() != 0:
        return work()
    result = tmp_path / "result.txt"
    pid = os.fork()
    if pid == 0:  # the child: drop to the image's user for good, then do the work
        code = 1
        try:
            os.setgid(UID)
            os.setuid(UID)
            text = work()
            code = 0
        except BaseException as exc:  # reported to the parent through the file
            text = f"{type(exc).__name__}: {exc}"
        try:
            os.umask(0)
            result.write_text(text)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    text = result.read_text() if result.exists() else ""
    assert os.waitstatus_to_exitcode(status) == 0, text
    return text


def test_the_dockerfile_runs_as_that_user_and_seeds_the_knowledge_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^USER {UID}:{UID}$", dockerfile, re.MULTILINE)
    assert '"--seed", "/app/knowledge.dist"' in dockerfile
    assert '"/app/knowledge"' in dockerfile.split("VOLUME", 1)[1].split("\n", 1)[0]


def test_the_image_installs_the_runtime_at_the_versions_the_lockfile_pins() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY pyproject.toml requirements.lock ./$", dockerfile, re.MULTILINE)
    assert "pip install -r /tmp/requirements.txt --constraint requirements.lock" in dockerfile
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = [line for line in lines if line and not line.startswith((" ", "#"))]
    pinned = dict(line.split("==") for line in pins)
    assert len(pinned) == len(pins)  # every line an exact version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for line in [*project["dependencies"], *extras["test"], *extras["dev"]]:
        requirement = Requirement(line)
        if requirement.name == project["name"]:
            continue  # dev includes the test extra
        # Each dependency is pinned, at a version pyproject.toml allows: the lock is not stale.
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(version), f"{requirement} but {version} pinned"


def test_an_empty_volume_is_seeded_and_an_upload_is_saved_by_the_images_user(
    scratch: Path,
) -> None:
    tmp_path = scratch
    volume, data = tmp_path / "knowledge", tmp_path / "data"
    volume.mkdir()
    data.mkdir()
    if os.geteuid() == 0:  # the folders as the Dockerfile makes them: owned by the bot's user
        for path in (tmp_path, volume, data):
            os.chown(path, UID, UID)

    # The seed as the image has it (COPY knowledge ./knowledge.dist): root's and readable by all,
    # which a checkout in a private folder (mktemp -d) is not to the image's user.
    seed = shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge.dist")

    def start_and_upload() -> str:
        err = io.StringIO()
        seed_knowledge(seed, volume, err)  # what `run --seed` does first
        curator = Curator(Engine(load_knowledge(volume)), volume, data)
        outcome = curator.upload("qa.yaml", (volume / "qa.yaml").read_bytes() + ENTRY)
        return err.getvalue() + ("applied" if outcome.applied else outcome.text())

    said = as_image_user(start_and_upload, tmp_path)
    assert "was empty; filled it from" in said and said.endswith("applied"), said
    assert b"lachin-region" in (volume / "qa.yaml").read_bytes()
    assert (volume / "eval.yaml").is_file()  # the gate came with it
    if os.geteuid() == 0:
        assert (volume / "qa.yaml").stat().st_uid == UID


def test_a_knowledge_folder_the_user_cannot_write_is_reported(scratch: Path) -> None:
    tmp_path = scratch
    # A bind mount left owned by root (or read-only): uploads could not be saved; say so.
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    if os.geteuid() == 0:
        os.chown(tmp_path, UID, UID)  # the result file goes here; the folder stays root's
    else:
        target.chmod(0o500)

    def start() -> str:
        err = io.StringIO()
        seed_knowledge(ROOT / "knowledge", target, err)
        return err.getvalue()

    try:
        said = as_image_user(start, tmp_path)
    finally:
        target.chmod(0o700)
    assert "is not writable by this user" in said
    assert "was empty" not in said  # a folder with knowledge in it is never overwritten
