"""Pinning: each flavor's requirements resolved to exact versions with the base image's own Python."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .engine import ensure_base_image, ensure_engine
from .options import BuildOptions
from .project import CONTEXT, FLAVOR_BASE, HUB_IMAGE, WORKSPACE_IMAGE, flavor_chain, runtime_paths
from .shell import BuildError, say

# Environments of their own over the workspace's, each from requirements/<name>.in (the Dockerfile's *-builder
# stages install them with requirements/install-environment.sh).
ENVIRONMENTS = ("sagemaker-kernel", "mlflow")

LOCK_HEADER = """\
# Resolved from {source} with the image's own Python (Debian's python3): python3 build.py lock {lock_option}
# Installed with --no-deps{on_top}.
"""


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        name, _, version = line.partition("==")
        if version and not line.startswith("#"):
            pins[canonical_name(name)] = version.strip()
    return pins


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def left_out(source: Path) -> set[str]:
    """An environment's .in file may leave a dependency out ("# leave out: NAME", with the reason beside it): the
    environment is installed with --no-deps, so a package only an unused feature imports need not be there."""
    return {
        canonical_name(match.group(1))
        for match in re.finditer(r"^# leave out: ([A-Za-z0-9][A-Za-z0-9._-]*)", source.read_text(), re.M)
    }


def top_level_names(source: Path) -> set[str]:
    """The packages a requirements file names itself (not its -r/-c lines or comments)."""
    names = set()
    for line in source.read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match and not line.lstrip().startswith(("#", "-")):
            names.add(canonical_name(match.group(1)))
    return names


@dataclass(frozen=True)
class Relock:
    """What a re-lock keeps of the current lock, as pip-compile does: every version, except the packages the .in file
    names (it decides those) and those asked to move (--upgrade-package); nothing with --upgrade. So adding one
    package changes only what it needs, not every package with a newer release."""

    upgrade_all: bool = False
    upgrade: frozenset[str] = field(default_factory=frozenset)

    def kept(self, source: Path) -> dict[str, str]:
        """What to keep of source's lock, the .txt file beside it."""
        target = source.with_suffix(".txt")
        if self.upgrade_all or not target.exists():
            return {}
        moving = top_level_names(source) | {canonical_name(name) for name in self.upgrade}
        return {name: version for name, version in read_pins(target).items() if name not in moving}


def lock(
    options: BuildOptions,
    flavors: list[str],
    hub: bool = False,
    environments: bool = False,
    relock: Relock = Relock(),
) -> None:
    """Resolve requirements/<flavor>.in to exact versions with the Python of the base image itself, without
    installing anything (pip's dry-run report); a flavor's lock keeps only what its base flavors do not pin.
    With --hub, the hub image's deploy/docker/requirements.in instead; with --environments, those of the
    environments over the workspace's (lock_environment)."""
    if environments:
        for name in ENVIRONMENTS:
            lock_environment(name, options, relock)
        return
    if hub:
        source = HUB_IMAGE.context / "requirements.in"
        write_lock(
            source,
            source.with_suffix(".txt"),
            resolve(source, options, relock.kept(source)),
            "--hub",
            ", so this list is the hub's whole Python environment",
        )
        return
    for flavor in flavors:
        lock_flavor(flavor, options, relock)


def resolve(source: Path, options: BuildOptions, kept: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Every package that installing `source` brings, as {canonical name: (name, version)}."""
    script = (
        "apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends python3-venv "
        ">/dev/null && python3 -m venv /tmp/lock && /tmp/lock/bin/pip install -q --disable-pip-version-check "
        f"--dry-run --ignore-installed --report - -r /requirements/{source.name}"
    )
    return run_resolver(source, options, options.base_image, script, kept)


def lock_environment(name: str, options: BuildOptions, relock: Relock) -> None:
    """An environment over the workspace's (requirements/install-environment.sh) sees the minimal image's packages
    underneath: pip, run in such an environment inside the built image, installs only what requirements/<name>.in
    adds or needs in another version, and keeps the image's wherever that is allowed."""
    source = CONTEXT / "requirements" / f"{name}.in"
    site = f"{runtime_paths().VENV_DIR}/lib/python3.11/site-packages"
    script = (
        f"VENV_SITE_PACKAGES={site} sh /requirements/install-environment.sh /tmp/lock -q "
        f"--disable-pip-version-check --dry-run --report - -r /requirements/{source.name}"
    )
    image = WORKSPACE_IMAGE.tags("minimal")[0]
    pins = run_resolver(source, options, image, script, relock.kept(source), "bash")
    omitted = left_out(source)
    write_lock(
        source,
        source.with_suffix(".txt"),
        {key: pin for key, pin in pins.items() if key not in omitted},
        "--environments",
        " over the workspace's environment"
        + (f"; left out, as {source.name} says: {', '.join(sorted(omitted))}" if omitted else ""),
    )


def run_resolver(
    source: Path,
    options: BuildOptions,
    image: str,
    script: str,
    kept: dict[str, str],
    entrypoint: str | None = None,
) -> dict[str, tuple[str, str]]:
    """Runs the script (which ends with pip's dry-run install) in the image; the kept versions become constraints."""
    with tempfile.TemporaryDirectory() as folder:
        cmd = ["docker", "run", "--rm", "-v", f"{source.parent}:/requirements:ro"]
        if kept:
            (Path(folder) / "kept.txt").write_text("".join(f"{name}=={version}\n" for name, version in kept.items()))
            cmd += ["-v", f"{folder}:/kept:ro"]
            script += " -c /kept/kept.txt"
        if entrypoint:
            cmd += ["--entrypoint", entrypoint]
        if options.ca_cert:
            cmd += ["-v", f"{Path(options.ca_cert).resolve()}:/build-ca.pem:ro", "-e", "PIP_CERT=/build-ca.pem"]
        if options.pip_index_url:
            cmd += ["-e", f"PIP_INDEX_URL={options.pip_index_url}"]
        cmd += [image] + ([] if entrypoint else ["bash"]) + ["-c", script]
        print(f"$ {shlex.join(cmd)}", flush=True)
        if options.dry_run:
            return {}
        ensure_engine()
        if image == options.base_image:
            ensure_base_image(options.base_image, options)
        result = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        hint = (
            "; a version kept from the current lock may be in the way: --upgrade-package NAME lets it move, "
            "--upgrade re-resolves everything"
            if kept
            else ""
        )
        raise BuildError(f"resolving {source.name} failed (exit status {result.returncode}){hint}")
    return {
        canonical_name(item["metadata"]["name"]): (item["metadata"]["name"], item["metadata"]["version"])
        for item in json.loads(result.stdout)["install"]
    }


def write_lock(source: Path, target: Path, pins: dict[str, tuple[str, str]], lock_option: str, on_top: str) -> None:
    if not pins:
        return
    lines = sorted(
        (f"{name}=={version}" for key, (name, version) in pins.items() if key not in ("pip", "setuptools", "wheel")),
        key=lambda line: line.partition("==")[0].lower(),
    )
    target.write_text(
        LOCK_HEADER.format(source=source.name, lock_option=lock_option, on_top=on_top)
        + "".join(line + "\n" for line in lines)
    )
    say(f"wrote {target} ({len(lines)} packages)")


def lock_flavor(flavor: str, options: BuildOptions, relock: Relock) -> None:
    source = CONTEXT / "requirements" / f"{flavor}.in"
    resolved = resolve(source, options, relock.kept(source))
    underneath = {}
    for base in flavor_chain(flavor)[:-1]:
        underneath.update(read_pins(source.parent / f"{base}.txt"))
    on_top = (
        " on top of " + ", ".join(f"{base}.txt" for base in flavor_chain(flavor)[:-1])
        if FLAVOR_BASE[flavor]
        else ", so this list is the whole Jupyter environment"
    )
    write_lock(
        source,
        source.with_suffix(".txt"),
        {key: pin for key, pin in resolved.items() if underneath.get(key) != pin[1]},
        f"--flavor {flavor}",
        on_top,
    )
