"""Pinning: each flavor's requirements resolved to exact versions with the base image's own Python."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from .engine import ensure_base_image, ensure_engine
from .options import BuildOptions
from .project import CONTEXT, FLAVOR_BASE, HUB_IMAGE, WORKSPACE_IMAGE, flavor_chain, runtime_paths
from .shell import BuildError, say

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


def lock(options: BuildOptions, flavors: list[str], hub: bool = False, sagemaker_kernel: bool = False) -> None:
    """Resolve requirements/<flavor>.in to exact versions with the Python of the base image itself, without
    installing anything (pip's dry-run report); a flavor's lock keeps only what its base flavors do not pin.
    With --hub, the hub image's deploy/docker/requirements.in instead; with --sagemaker-kernel, the SageMaker
    kernel's (lock_sagemaker_kernel)."""
    if sagemaker_kernel:
        lock_sagemaker_kernel(options)
        return
    if hub:
        source = HUB_IMAGE.context / "requirements.in"
        write_lock(
            source,
            source.with_suffix(".txt"),
            resolve(source, options),
            "--hub",
            ", so this list is the hub's whole Python environment",
        )
        return
    for flavor in flavors:
        lock_flavor(flavor, options)


def resolve(source: Path, options: BuildOptions) -> dict[str, tuple[str, str]]:
    """Every package that installing `source` brings, as {canonical name: (name, version)}."""
    script = (
        "apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends python3-venv "
        ">/dev/null && python3 -m venv /tmp/lock && /tmp/lock/bin/pip install -q --disable-pip-version-check "
        f"--dry-run --ignore-installed --report - -r /requirements/{source.name}"
    )
    return run_resolver(source, options, options.base_image, script)


def lock_sagemaker_kernel(options: BuildOptions) -> None:
    """The SageMaker kernel's environment sees the minimal image's packages underneath (a .pth file, as the
    Dockerfile makes it): pip, run in such an environment inside the built image, installs only what the SDK adds or
    needs in another version, and keeps the image's wherever the SDK accepts it."""
    source = CONTEXT / "requirements" / "sagemaker-kernel.in"
    paths = runtime_paths()
    site = f"{paths.VENV_DIR}/lib/python3.11/site-packages"
    script = (
        f"python3 -m venv --without-pip /tmp/lock && echo \"import site; site.addsitedir('{site}')\" "
        "> /tmp/lock/lib/python3.11/site-packages/_workbench_base.pth && /tmp/lock/bin/python -m pip install -q "
        f"--disable-pip-version-check --dry-run --report - -r /requirements/{source.name}"
    )
    image = WORKSPACE_IMAGE.tags("minimal")[0]
    pins = run_resolver(source, options, image, script, entrypoint="bash")
    write_lock(source, source.with_suffix(".txt"), pins, "--sagemaker-kernel", " over the workspace's environment")


def run_resolver(
    source: Path, options: BuildOptions, image: str, script: str, entrypoint: str | None = None
) -> dict[str, tuple[str, str]]:
    cmd = ["docker", "run", "--rm", "-v", f"{source.parent}:/requirements:ro"]
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
        raise BuildError(f"resolving {source.name} failed (exit status {result.returncode})")
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


def lock_flavor(flavor: str, options: BuildOptions) -> None:
    source = CONTEXT / "requirements" / f"{flavor}.in"
    resolved = resolve(source, options)
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
