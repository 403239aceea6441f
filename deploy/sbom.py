"""The image's software bill of materials (CycloneDX 1.6 JSON): `make sbom`.

Python packages come from requirements/image.lock (what the image installs, hashes checked;
tests/container proves the image holds exactly those versions), through CycloneDX's own tool
(cyclonedx-py). The Debian packages of the image's base are read from the image itself
(dpkg-query inside a throwaway container) and added as components with Debian package URLs.

    python deploy/sbom.py IMAGE OUTPUT
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
PODMAN = ["podman", "--runtime", "runc"]
LIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]


def python_components(lock: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "python.cdx.json"
        subprocess.run(
            [
                str(Path(sys.executable).parent / "cyclonedx-py"), "requirements",
                "--pyproject", str(ROOT / "pyproject.toml"), "--mc-type", "application",
                "--output-reproducible", "--of", "JSON", "-o", str(out), str(lock),
            ],
            check=True, capture_output=True,
        )  # fmt: skip
        bom: dict[str, object] = json.loads(out.read_text())
        return bom


def debian_packages(image: str) -> list[tuple[str, str, str]]:
    listing = subprocess.run(
        [
            *PODMAN, "run", "--rm", "--network=none", *LIMITS, "--entrypoint", "dpkg-query",
            image, "-W", "-f", "${Package}\t${Version}\t${Architecture}\n",
        ],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [
        (name, version, arch)
        for name, version, arch in (line.split("\t") for line in listing.splitlines() if line)
    ]


def image_sbom(image: str) -> dict[str, object]:
    bom = python_components(ROOT / "requirements" / "image.lock")
    components = bom.setdefault("components", [])
    assert isinstance(components, list)
    for name, version, arch in debian_packages(image):
        purl = f"pkg:deb/debian/{name}@{quote(version, safe='')}?arch={arch}&distro=debian-12"
        components.append(
            {
                "type": "library",
                "bom-ref": purl,
                "name": name,
                "version": version,
                "purl": purl,
                "description": "Debian package of the image's base",
            }
        )
    metadata = bom.setdefault("metadata", {})
    assert isinstance(metadata, dict)
    metadata["properties"] = [{"name": "vidscope:image", "value": image}]
    return bom


def main() -> None:
    image, output = sys.argv[1], Path(sys.argv[2])
    bom = image_sbom(image)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(bom, indent=1) + "\n")
    components = bom["components"]
    assert isinstance(components, list)
    sys.stdout.write(f"{output}: {len(components)} components\n")


if __name__ == "__main__":
    main()
