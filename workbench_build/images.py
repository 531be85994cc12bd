"""Building the images: the workspace's flavors and the hub's (docker build with the legacy builder), and the
report of what made them big."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shlex
import shutil
import tempfile
import time
from pathlib import Path

from . import staging, vscode_extensions
from .engine import ensure_base_image, ensure_engine
from .options import BuildOptions
from .project import (
    BUILD_WHEELS_DIR,
    WORKSPACE_IMAGE,
    ImageSource,
    build_args,
    git_revision,
    runtime_paths,
    version,
)
from .shell import BuildError, capture, run, say


def image_tags(options: BuildOptions, source: ImageSource = WORKSPACE_IMAGE) -> list[str]:
    return list(options.tags) or source.tags(options.flavor)


def build_command(
    options: BuildOptions, source: ImageSource = WORKSPACE_IMAGE, gallery_extensions: tuple[str, ...] = ()
) -> list[str]:
    """gallery_extensions: the VS Code extensions the build installs from Open VSX (vscode_extensions)."""
    # Labels as flags, not in the Dockerfile: the classic builder adds them after the target stage, so they neither
    # invalidate cached layers nor need a stage after every flavor.
    labels = {
        "title": "Workbench",
        "version": version(),
        "revision": git_revision(),
        "licenses": "MIT",
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": source.description.format(flavor=options.flavor),
    }
    # --force-rm: a failed step's container is removed too (the legacy builder keeps it otherwise).
    cmd = ["docker", "build", "--force-rm", "--file", str(source.dockerfile)]
    if source.flavored:
        cmd += ["--target", options.target]
    cmd += ["--build-arg", f"BASE_IMAGE={options.base_image}"]
    if source.flavored:
        for name, value in build_args().items():
            cmd += ["--build-arg", f"{name}={value}"]
        cmd += ["--build-arg", f"VSCODE_EXTENSIONS={' '.join(gallery_extensions)}"]
    for key, value in labels.items():
        cmd += ["--label", f"org.opencontainers.image.{key}={value}"]
    if options.pip_index_url:
        cmd += ["--build-arg", f"PIP_INDEX_URL={options.pip_index_url}"]
    if options.wheelhouse:
        cmd += ["--build-arg", "PIP_NO_INDEX=1"]
    if options.npm_registry:
        cmd += ["--build-arg", f"NPM_CONFIG_REGISTRY={options.npm_registry}"]
    if options.no_cache:
        cmd.append("--no-cache")
    for tag in image_tags(options, source):
        cmd += ["--tag", tag]
    cmd.append(str(source.context))
    return cmd


def build(options: BuildOptions, source: ImageSource = WORKSPACE_IMAGE) -> str:
    """Build the image; return its first tag."""
    if options.ca_cert and not Path(options.ca_cert).is_file():
        raise BuildError(f"--ca-cert: {options.ca_cert} is not a readable file")
    gallery_extensions = vscode_extensions.gallery_ids(options) if source.flavored else ()
    cmd = build_command(options, source, gallery_extensions)
    env = {"DOCKER_BUILDKIT": "0"}
    if options.dry_run:
        if options.ca_cert:
            print(f"$ cp {shlex.quote(options.ca_cert)} {shlex.quote(str(source.ca_file))}")
        print(f"$ DOCKER_BUILDKIT=0 {shlex.join(cmd)}")
        if options.ca_cert:
            print(f"$ rm {shlex.quote(str(source.ca_file))}")
        return cmd[cmd.index("--tag") + 1]
    if not options.skip_setup:
        ensure_engine()
        ensure_base_image(options.base_image, options)
    # The CA and the wheels enter only the builder stages (see the Dockerfiles); the final image never sees them.
    source.ca_file.unlink(missing_ok=True)
    remove_staged_wheels()
    vscode_extensions.remove_staged()
    if options.ca_cert:
        shutil.copyfile(options.ca_cert, source.ca_file)
    try:
        if options.wheelhouse:
            stage_wheels(Path(options.wheelhouse))
        if options.vscode_extensions_dir and source.flavored:
            vscode_extensions.stage_vsix(Path(options.vscode_extensions_dir))
        start = time.monotonic()
        run(cmd, env=env, progress=True)
    finally:
        source.ca_file.unlink(missing_ok=True)
        remove_staged_wheels()
        vscode_extensions.remove_staged()
    tag = image_tags(options, source)[0]
    size = int(capture(["docker", "image", "inspect", "-f", "{{.Size}}", tag]).stdout.strip() or 0)
    say(f"built {tag} in {time.monotonic() - start:.0f} s, image size {size / 1e6:.0f} MB")
    if source.flavored:
        print(size_report(tag), flush=True)
    return tag


def stage_wheels(wheelhouse: Path) -> None:
    """Hard-link (or copy) the wheelhouse into the build context for one build."""
    wheels = sorted(wheelhouse.glob("*.whl"))
    # What PyPI has only as source (SageMaker's training toolkit, inotify_simple) is built in the builder stage.
    sources = sorted(wheelhouse.glob("*.tar.gz"))
    if not wheels:
        raise BuildError(
            f"--wheelhouse: {wheelhouse} has no .whl files (fill it with: pip download -d {wheelhouse} "
            "-r workspace/requirements/<flavor>.txt --no-deps)"
        )
    staging.stage(wheels + sources, BUILD_WHEELS_DIR)
    say(f"building offline from {len(wheels)} wheels and {len(sources)} source packages in {wheelhouse}")


def remove_staged_wheels() -> None:
    staging.unstage(BUILD_WHEELS_DIR, ("*.whl", "*.tar.gz"))


def size_report(tag: str, count: int = 8) -> str:
    """The largest layers and the largest Python packages of an image."""
    history = capture(["docker", "history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", tag]).stdout
    layers = []
    for line in history.splitlines():
        size, _, created_by = line.partition("\t")
        layers.append((parse_size(size), " ".join(created_by.replace("/bin/sh -c ", "").split())[:90]))
    lines = ["largest layers:"] + [
        f"  {size / 1e6:8.0f} MB  {step}" for size, step in sorted(layers, reverse=True)[:count]
    ]
    packages = capture(
        [
            "docker",
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            tag,
            "-c",
            f"du -sk {runtime_paths().VENV_DIR}/lib/python3*/site-packages/* | sort -rn | head -n {count}",
        ]
    ).stdout
    lines.append("largest Python packages:")
    lines += [
        f"  {int(kb) / 1e3:8.0f} MB  {Path(path).name}"
        for kb, path in (line.split("\t", 1) for line in packages.splitlines() if "\t" in line)
    ]
    return "\n".join(lines)


def parse_size(text: str) -> float:
    """docker's human sizes ("1.2GB", "350MB", "0B") in bytes."""
    match = re.fullmatch(r"([0-9.]+)\s*([kKMGT]?B)", text.strip())
    if not match:
        return 0.0
    return float(match.group(1)) * {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[match.group(2)]


@contextlib.contextmanager
def context_with_ca(ca_cert: str | None):
    """A build context for an image FROM a workspace image (deploy/sagemaker, the benchmark's reference server):
    build-ca/ca.pem is the CA bundle pip trusts during that build; the Dockerfile deletes it, nothing trusts it
    after."""
    with tempfile.TemporaryDirectory(prefix="workbench-context-") as context:
        (Path(context) / "build-ca").mkdir()
        if ca_cert:
            shutil.copyfile(ca_cert, Path(context) / "build-ca" / "ca.pem")
        yield Path(context)
