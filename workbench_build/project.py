"""What this repository builds: its folders, version, flavors and images (the one place that names them)."""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .shell import BuildError

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = ROOT / "workspace"

BUILD_WHEELS_DIR = CONTEXT / "build-wheels"

VERSION_FILE = CONTEXT / "resources" / "workbench" / "__init__.py"

# Each flavor is its base plus a layer: a stage of the Dockerfile on its base's stage, whose lock file lists only what
# its base lacks. In order, smallest first.
FLAVOR_BASE = {"minimal": None, "full": "minimal", "gpu": "full"}
FLAVORS = tuple(FLAVOR_BASE)
DEFAULT_BASE_IMAGE = "debian:bookworm-slim"

DEFAULT_MIRROR = "http://deb.debian.org/debian"

DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"

IMAGE_REPO = "workbench"


def version() -> str:
    match = re.search(r'^__version__ = "([^"]+)"', VERSION_FILE.read_text(), re.M)
    if not match:
        raise BuildError(f"no __version__ in {VERSION_FILE}")
    return match.group(1)


@functools.cache
def runtime_paths():
    """The runtime's paths module (workbench/facts/paths.py, standard library only): the image's paths are defined
    there, and the Dockerfile is given the ones it needs as build arguments (build_args)."""
    spec = importlib.util.spec_from_file_location(
        "workbench_paths", CONTEXT / "resources" / "workbench" / "facts" / "paths.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_args() -> dict[str, str]:
    """What the workspace's Dockerfile takes from the runtime's own definitions."""
    paths = runtime_paths()
    return {
        name: str(getattr(paths, name))
        for name in (
            "VENV_DIR",
            "INSTALL_DIR",
            "RUN_DIR",
            "TOOL_DECLARATIONS_DIR",
            "SAGEMAKER_KERNEL_DIR",
            "MLFLOW_DIR",
            "DOCKER_COMPOSE_DIR",
        )
    }


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{rev}-dirty" if dirty else rev


def flavor_chain(flavor: str) -> list[str]:
    """The flavor and the flavors under it, lowest first: gpu -> [minimal, full, gpu]."""
    chain = [flavor]
    while FLAVOR_BASE[chain[0]]:
        chain.insert(0, FLAVOR_BASE[chain[0]])
    return chain


@dataclass(frozen=True)
class ImageSource:
    """A Dockerfile, its build context and the image it makes. --ca-cert is copied into the context's build-ca/ for
    one build: only builder stages copy that folder, so the final image never contains it."""

    context: Path
    repository: str
    description: str
    flavored: bool  # True: one image per flavor, each a stage of the Dockerfile

    @property
    def dockerfile(self) -> Path:
        return self.context / "Dockerfile"

    @property
    def ca_file(self) -> Path:
        return self.context / "build-ca" / "extra-ca.crt"

    def tags(self, flavor: str) -> list[str]:
        name = flavor if self.flavored else "latest"
        return [f"{self.repository}:{name}", f"{self.repository}:{flavor + '-' if self.flavored else ''}{version()}"]


WORKSPACE_IMAGE = ImageSource(
    CONTEXT,
    IMAGE_REPO,
    "Browser-based all-in-one ML workspace ({flavor}): JupyterLab, "
    "VS Code, desktop, TensorBoard, Netdata and SSH behind one port and one token",
    True,
)

# The hub for many users on one Docker host (deploy/docker); the workspace images are what it spawns.
HUB_IMAGE = ImageSource(
    ROOT / "deploy" / "docker", f"{IMAGE_REPO}-hub", "JupyterHub with DockerSpawner for Workbench workspaces", False
)
