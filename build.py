#!/usr/bin/env python3
"""Build, run and test the Workbench image.

Commands:
  base   make the Debian base image locally (debootstrap + docker import), for hosts
         that cannot pull from a registry
  build  build a flavor of the workspace image
  run    run the workspace like the README's quick start (builds the image first if missing)
  lock   re-resolve a flavor's pinned Python requirements inside the base image
  hub    build the JupyterHub image that spawns workspaces for many users (deploy/docker)
  package  build a SageMaker job image from a folder of code (deploy/sagemaker): train, serve, process
  test   prepare this machine (Docker engine, base image, test tools), build, and run the tests
  bench  measure start-up, idle memory, image sizes and the front door's cost (benchmarks/run.py)

Only the Python standard library is used, so this file runs on a bare Debian host.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CONTEXT = ROOT / "workspace"
BUILD_WHEELS_DIR = CONTEXT / "build-wheels"
VERSION_FILE = CONTEXT / "resources" / "workbench" / "__init__.py"
TEST_VENV = ROOT / ".venv-test"
TEST_REQUIREMENTS = ROOT / "tests" / "requirements.txt"
CHROMIUM = "/usr/bin/chromium"  # Playwright cannot download its own browser on hosts without internet access

# Where hosts keep the CA bundle they trust (Debian/Ubuntu, Fedora/RHEL, Alpine/macOS): by default the build trusts
# what this machine trusts, which on a host behind a TLS-intercepting proxy includes the proxy's CA.
HOST_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")
# What pip, npm, apt and curl print when a download fails on a certificate nobody trusted.
CERTIFICATE_FAILURE = re.compile(
    r"CERTIFICATE_VERIFY_FAILED|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|"
    r"unable to get local issuer certificate|self[- ]signed certificate in certificate "
    r"chain|Certificate verification failed|server certificate verification failed",
    re.I,
)

FLAVORS = ("minimal", "full", "gpu")
DEFAULT_BASE_IMAGE = "debian:bookworm-slim"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
IMAGE_REPO = "workbench"


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

# What debian:*-slim images leave out; keeps every layer built on the local base as small as on the official one.
SLIM_DPKG_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
"""
APT_CLEAN_CONFIG = """\
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""  # noqa: E501 (apt's configuration: one statement a line)


class BuildError(Exception):
    """A failure the user can act on; printed as one line, exit status 1."""


def say(message: str) -> None:
    print(f"[build.py] {message}", flush=True)


def version() -> str:
    match = re.search(r'^__version__ = "([^"]+)"', VERSION_FILE.read_text(), re.M)
    if not match:
        raise BuildError(f"no __version__ in {VERSION_FILE}")
    return match.group(1)


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


def run(
    cmd: list[str],
    *,
    dry_run: bool = False,
    env: dict | None = None,
    check: bool = True,
    progress: bool = False,
    cwd: Path | None = None,
) -> int:
    """Run cmd, echoing it first. With progress, prefix each output line with the elapsed time."""
    print(f"$ {shlex.join(cmd)}", flush=True)
    if dry_run:
        return 0
    full_env = {**os.environ, **(env or {})}
    certificate_failed = False
    if not progress:
        code = subprocess.run(cmd, env=full_env, cwd=cwd).returncode
    else:
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, errors="replace"
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            elapsed = int(time.monotonic() - start)
            print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {line}", end="", flush=True)
            certificate_failed = certificate_failed or bool(CERTIFICATE_FAILURE.search(line))
        code = proc.wait()
    if check and code != 0:
        if certificate_failed:
            raise BuildError(
                "a download failed on a TLS certificate that the build does not trust: if HTTPS here "
                "passes a TLS-intercepting proxy, give its CA with --ca-cert FILE (by default the build "
                "trusts this host's own CA bundle)"
            )
        raise BuildError(f"command failed with exit status {code}: {shlex.join(cmd)}")
    return code


def capture(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


# ---------------------------------------------------------------- docker engine and base image


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0:
        raise BuildError(f"need root to install {', '.join(packages)} (or install them yourself)")
    run(["apt-get", "update", "-qq"])
    run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )


def docker_ready() -> bool:
    return shutil.which("docker") is not None and capture(["docker", "info"]).returncode == 0


def ensure_engine() -> None:
    """Install and start the Docker engine if this machine lacks one (fresh Debian hosts, CI)."""
    if docker_ready():
        return
    if shutil.which("dockerd") is None:
        say("Docker engine not found: installing Debian's docker.io")
        apt_install("docker.io", "iptables", "ca-certificates")
    if not docker_ready():
        say("Docker engine not running: starting dockerd in the background")
        log = open("/var/log/workbench-dockerd.log", "ab")
        subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 90
        while not docker_ready():
            if time.monotonic() > deadline:
                raise BuildError("dockerd did not become ready in 90 s; see /var/log/workbench-dockerd.log")
            time.sleep(1)
    say("Docker engine ready")


def image_exists(name: str) -> bool:
    return capture(["docker", "image", "inspect", name]).returncode == 0


def ensure_base_image(name: str, args: argparse.Namespace) -> None:
    if image_exists(name):
        return
    say(f"base image {name} not present: trying to pull it")
    if capture(["docker", "pull", name]).returncode == 0:
        return
    if name != DEFAULT_BASE_IMAGE:
        raise BuildError(f"cannot pull {name} and only {DEFAULT_BASE_IMAGE} can be made locally")
    say("pull failed (no registry access): making it locally with debootstrap")
    make_base_image(name, args.mirror, args.security_mirror)


def make_base_image(name: str, mirror: str, security_mirror: str, dry_run: bool = False) -> None:
    suite = "bookworm"
    if shutil.which("debootstrap") is None and not dry_run:
        apt_install("debootstrap")
    with tempfile.TemporaryDirectory(prefix="workbench-base-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(["debootstrap", "--variant=minbase", suite, str(rootfs), mirror], dry_run=dry_run, progress=True)
        if dry_run:
            print(f"# write apt sources for {suite}, {suite}-updates, {suite}-security and slim dpkg excludes")
            print(f"$ tar -C {rootfs} -c . | docker import --change 'CMD [\"bash\"]' - {name}")
            return
        sources = (
            f"Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            f"Types: deb\nURIs: {security_mirror}\nSuites: {suite}-security\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        )
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
        (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(sources)
        (rootfs / "etc/dpkg/dpkg.cfg.d/docker").write_text(SLIM_DPKG_EXCLUDES)
        (rootfs / "etc/apt/apt.conf.d/docker-clean").write_text(APT_CLEAN_CONFIG)
        for cache in ("var/lib/apt/lists", "var/cache/apt/archives"):
            for entry in (rootfs / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        say(f"importing {rootfs} as {name}")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        code = subprocess.run(["docker", "import", "--change", 'CMD ["bash"]', "-", name], stdin=tar.stdout).returncode
        tar.wait()
        if code != 0 or tar.returncode != 0:
            raise BuildError(f"docker import of {name} failed")
    say(f"base image {name} ready")


# ---------------------------------------------------------------- build


def image_tags(flavor: str, tags: list[str] | None, source: ImageSource = WORKSPACE_IMAGE) -> list[str]:
    return tags or source.tags(flavor)


def build_command(args: argparse.Namespace, source: ImageSource = WORKSPACE_IMAGE) -> list[str]:
    # Labels as flags, not in the Dockerfile: the classic builder adds them after the target stage, so they neither
    # invalidate cached layers nor need a stage after every flavor.
    labels = {
        "title": "Workbench",
        "version": version(),
        "revision": git_revision(),
        "licenses": "MIT",
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": source.description.format(flavor=args.flavor),
    }
    # --force-rm: a failed step's container is removed too (the legacy builder keeps it otherwise).
    cmd = ["docker", "build", "--force-rm", "--file", str(source.dockerfile)]
    if source.flavored:
        cmd += ["--target", args.flavor]
    cmd += ["--build-arg", f"BASE_IMAGE={args.base_image}"]
    for key, value in labels.items():
        cmd += ["--label", f"org.opencontainers.image.{key}={value}"]
    if args.pip_index_url:
        cmd += ["--build-arg", f"PIP_INDEX_URL={args.pip_index_url}"]
    if getattr(args, "wheelhouse", None):
        cmd += ["--build-arg", "PIP_NO_INDEX=1"]
    if args.npm_registry:
        cmd += ["--build-arg", f"NPM_CONFIG_REGISTRY={args.npm_registry}"]
    if args.no_cache:
        cmd.append("--no-cache")
    for tag in image_tags(args.flavor, args.tag, source):
        cmd += ["--tag", tag]
    cmd.append(str(source.context))
    return cmd


def build(args: argparse.Namespace, source: ImageSource = WORKSPACE_IMAGE) -> str:
    """Build the image; return its first tag."""
    if args.ca_cert and not Path(args.ca_cert).is_file():
        raise BuildError(f"--ca-cert: {args.ca_cert} is not a readable file")
    cmd = build_command(args, source)
    env = {"DOCKER_BUILDKIT": "0"}
    if args.dry_run:
        if args.ca_cert:
            print(f"$ cp {shlex.quote(args.ca_cert)} {shlex.quote(str(source.ca_file))}")
        print(f"$ DOCKER_BUILDKIT=0 {shlex.join(cmd)}")
        if args.ca_cert:
            print(f"$ rm {shlex.quote(str(source.ca_file))}")
        return cmd[cmd.index("--tag") + 1]
    if not args.skip_setup:
        ensure_engine()
        ensure_base_image(args.base_image, args)
    # The CA and the wheels enter only the builder stages (see the Dockerfiles); the final image never sees them.
    source.ca_file.unlink(missing_ok=True)
    remove_staged_wheels()
    if args.ca_cert:
        shutil.copyfile(args.ca_cert, source.ca_file)
    try:
        if getattr(args, "wheelhouse", None):
            stage_wheels(Path(args.wheelhouse))
        start = time.monotonic()
        run(cmd, env=env, progress=True)
    finally:
        source.ca_file.unlink(missing_ok=True)
        remove_staged_wheels()
    tag = image_tags(args.flavor, args.tag, source)[0]
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
    for wheel in wheels + sources:
        try:
            os.link(wheel, BUILD_WHEELS_DIR / wheel.name)
        except OSError:
            shutil.copyfile(wheel, BUILD_WHEELS_DIR / wheel.name)
    say(f"building offline from {len(wheels)} wheels and {len(sources)} source packages in {wheelhouse}")


def remove_staged_wheels() -> None:
    for package in [*BUILD_WHEELS_DIR.glob("*.whl"), *BUILD_WHEELS_DIR.glob("*.tar.gz")]:
        package.unlink()


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
            "du -sk /opt/venv/lib/python3*/site-packages/* | sort -rn | head -n " + str(count),
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


# ---------------------------------------------------------------- lock

LOCK_HEADER = """\
# Resolved from {source} with the image's own Python (Debian's python3): python3 build.py lock {lock_option}
# Installed with --no-deps{on_top}.
"""
# Each flavor is its base plus a layer: its lock file lists only what its base does not have.
FLAVOR_BASE = {"minimal": None, "full": "minimal", "gpu": "full"}


def flavor_chain(flavor: str) -> list[str]:
    """The flavor and the flavors under it, lowest first: gpu -> [minimal, full, gpu]."""
    chain = [flavor]
    while FLAVOR_BASE[chain[0]]:
        chain.insert(0, FLAVOR_BASE[chain[0]])
    return chain


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        name, _, version = line.partition("==")
        if version and not line.startswith("#"):
            pins[canonical_name(name)] = version.strip()
    return pins


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def lock(args: argparse.Namespace) -> None:
    """Resolve requirements/<flavor>.in to exact versions with the Python of the base image itself, without
    installing anything (pip's dry-run report); a flavor's lock keeps only what its base flavors do not pin.
    With --hub, the hub image's deploy/docker/requirements.in instead."""
    if args.hub:
        source = HUB_IMAGE.context / "requirements.in"
        write_lock(
            source,
            source.with_suffix(".txt"),
            resolve(source, args),
            "--hub",
            ", so this list is the hub's whole Python environment",
        )
        return
    for flavor in FLAVORS if args.flavor == "all" else [args.flavor]:
        lock_flavor(flavor, args)


def resolve(source: Path, args: argparse.Namespace) -> dict[str, tuple[str, str]]:
    """Every package that installing `source` brings, as {canonical name: (name, version)}."""
    script = (
        "apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends python3-venv "
        ">/dev/null && python3 -m venv /tmp/lock && /tmp/lock/bin/pip install -q --disable-pip-version-check "
        f"--dry-run --ignore-installed --report - -r /requirements/{source.name}"
    )
    cmd = ["docker", "run", "--rm", "-v", f"{source.parent}:/requirements:ro"]
    if args.ca_cert:
        cmd += ["-v", f"{Path(args.ca_cert).resolve()}:/build-ca.pem:ro", "-e", "PIP_CERT=/build-ca.pem"]
    if args.pip_index_url:
        cmd += ["-e", f"PIP_INDEX_URL={args.pip_index_url}"]
    cmd += [args.base_image, "bash", "-c", script]
    print(f"$ {shlex.join(cmd)}", flush=True)
    if args.dry_run:
        return {}
    ensure_engine()
    ensure_base_image(args.base_image, args)
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


def lock_flavor(flavor: str, args: argparse.Namespace) -> None:
    source = CONTEXT / "requirements" / f"{flavor}.in"
    resolved = resolve(source, args)
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


# ---------------------------------------------------------------- package

JOB_IMAGE_DOCKERFILE = ROOT / "deploy" / "sagemaker" / "Dockerfile"
# Never part of a job's code: version control, editors' and Jupyter's leftovers, the workspace's own state.
NOT_CODE = shutil.ignore_patterns(".git", "__pycache__", ".ipynb_checkpoints", ".workbench", ".venv", "*.pyc")


def default_program(code: Path) -> str:
    """The script `train` runs and `serve` loads: train.py, else the folder's only Python file, else none."""
    scripts = sorted(path.name for path in code.glob("*.py"))
    if "train.py" in scripts:
        return "train.py"
    return scripts[0] if len(scripts) == 1 else ""


def package_tag(code: Path) -> str:
    return (re.sub(r"[^a-z0-9._-]+", "-", code.resolve().name.lower()).strip(".-_") or "job") + ":latest"


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


def package(args: argparse.Namespace) -> str:
    """A thin image on workbench:<flavor> with the folder's code in /opt/ml/code (deploy/sagemaker/Dockerfile)."""
    code = Path(args.directory)
    if not code.is_dir():
        raise BuildError(f"{args.directory} is not a folder")
    program = default_program(code) if args.program is None else args.program
    if program and not (code / program).is_file():
        raise BuildError(f"--program: {program} is not a file in {code}")
    base = image_tags(args.flavor, None)[0]
    tag = args.tag or package_tag(code)
    cmd = [
        "docker",
        "build",
        "--force-rm",
        "--build-arg",
        f"WORKBENCH_IMAGE={base}",
        "--build-arg",
        f"SAGEMAKER_PROGRAM={program}",
        "--label",
        f"org.opencontainers.image.base.name={base}",
        "--tag",
        tag,
    ]
    if args.dry_run:
        print(f"$ DOCKER_BUILDKIT=0 {shlex.join(cmd + ['CONTEXT'])}")
        return tag
    ensure_engine()
    if not image_exists(base):
        raise BuildError(f"{base} is missing: build it first with python3 build.py build --flavor {args.flavor}")
    with context_with_ca(args.ca_cert) as context:
        shutil.copytree(code, context / "code", ignore=NOT_CODE, symlinks=False)
        shutil.copyfile(JOB_IMAGE_DOCKERFILE, context / "Dockerfile")
        run(cmd + [str(context)], env={"DOCKER_BUILDKIT": "0"}, progress=True)
    say(f"built {tag} from {code} (SAGEMAKER_PROGRAM={program or 'unset'}): try it with docker run ... {tag} train")
    return tag


# ---------------------------------------------------------------- run


def wait_for_login_url(container: str, host_port: int, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(capture(["docker", "inspect", "-f", "{{json .State}}", container]).stdout or "{}")
        if not state.get("Running"):
            logs = capture(["docker", "logs", container])
            raise BuildError(f"the workspace exited (status {state.get('ExitCode')}):\n{logs.stdout}{logs.stderr}")
        logs = capture(["docker", "logs", container])
        match = re.search(r"(https?)://localhost:\d+(/\S*)", logs.stdout + logs.stderr)
        if match:
            login = urllib.parse.urlsplit(f"{match.group(1)}://localhost:{host_port}{match.group(2)}")
            url = login.geturl()
            health = f"{login.scheme}://{login.netloc}{login.path}healthz"
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.5)
    raise BuildError(f"the workspace did not become ready in {timeout:.0f} s; see: docker logs {container}")


def run_workspace(args: argparse.Namespace) -> None:
    image = args.image or f"{IMAGE_REPO}:{args.flavor}"
    ensure_engine()
    if not image_exists(image):
        say(f"{image} not found: building it first")
        args.tag = [image] if args.image else None
        args.dry_run = False
        args.skip_setup = False
        build(args)
    if capture(["docker", "container", "inspect", args.name]).returncode == 0:
        raise BuildError(
            f"a container named {args.name} already exists: remove it (docker rm -f {args.name}) "
            "or choose another --name"
        )
    workspace_dir = Path(args.workspace).resolve()
    cmd = [
        "docker",
        "run",
        "-d",
        "--name",
        args.name,
        "-p",
        f"{args.port}:8080",
        "-v",
        f"{workspace_dir}:/workspace",
        "--shm-size",
        "2g",
    ]
    for assignment in args.env:
        if "=" not in assignment:
            raise BuildError(f"--env {assignment}: expected NAME=VALUE")
        cmd += ["--env", assignment]
    cmd.append(image)
    run(cmd)
    url = wait_for_login_url(args.name, args.port)
    say(f"Workbench is running. Open: {url}")
    say(f"logs: docker logs -f {args.name}    stop: docker rm -f {args.name}")


# ---------------------------------------------------------------- test


def ensure_test_environment(args: argparse.Namespace) -> Path:
    """Debian's Chromium for the browser tests, the OpenSSH client for the SSH tests, Docker Compose for SageMaker's
    local mode, ShellCheck for the lint step, and a virtual environment with the test tools (ruff and hadolint among
    them; reused when it is already complete)."""
    if not Path(CHROMIUM).exists():
        say("Chromium not found: installing Debian's chromium for the browser tests")
        apt_install("chromium")
    if not (shutil.which("ssh") and shutil.which("sftp")):
        say("OpenSSH client not found: installing it for the SSH tests")
        apt_install("openssh-client")
    if not (shutil.which("docker-compose") or capture(["docker", "compose", "version"]).returncode == 0):
        say("Docker Compose not found: installing Debian's docker-compose for SageMaker's local mode tests")
        apt_install("docker-compose")
    if not shutil.which("shellcheck"):
        say("ShellCheck not found: installing Debian's shellcheck for the lint step")
        apt_install("shellcheck")
    python = TEST_VENV / "bin" / "python"
    stamp = TEST_VENV / ".requirements"
    wanted = TEST_REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if capture([sys.executable, "-c", "import ensurepip, venv"]).returncode != 0:
        apt_install("python3-venv")
    run([sys.executable, "-m", "venv", "--clear", str(TEST_VENV)])
    env = {"PIP_CERT": args.ca_cert} if args.ca_cert else {}
    if args.pip_index_url:
        env["PIP_INDEX_URL"] = args.pip_index_url
    run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(TEST_REQUIREMENTS)],
        env=env,
    )
    stamp.write_text(wanted)
    return python


def prepare_machine(args: argparse.Namespace) -> Path:
    """The Docker engine, the base image and the test tools; returns the test environment's Python."""
    ensure_engine()
    ensure_base_image(args.base_image, args)
    return ensure_test_environment(args)


# Not the repository's own code: virtual environments, test output, staged build inputs.
LINT_SKIPPED = {".git", ".venv-test", "test-artifacts", "build-wheels", "build-ca", "node_modules", "__pycache__"}


def repository_files() -> list[Path]:
    found = []
    for folder, folders, files in os.walk(ROOT):
        folders[:] = sorted(name for name in folders if name not in LINT_SKIPPED)
        found += [Path(folder) / name for name in sorted(files)]
    return found


def is_shell_script(path: Path) -> bool:
    """*.sh, or a sh or bash shebang; not a template (*.j2), which is checked as it renders."""
    if path.suffix in (".sh", ".j2"):
        return path.suffix == ".sh"
    try:
        with path.open("rb") as file:
            first = file.readline(100)
    except OSError:
        return False
    return re.match(rb"#!\s*(/usr)?/bin/(env\s+)?(ba)?sh\s*$", first) is not None


def lint_commands(python: Path) -> list[list[str]]:
    """Python through ruff (ruff.toml), the Dockerfiles through hadolint (.hadolint.yaml), the shell scripts through
    ShellCheck. The SSH setup script is a template: tests/unit/test_render.py checks what it renders."""
    files = repository_files()
    tools = python.parent
    return [
        [str(tools / "ruff"), "check", "--no-cache", str(ROOT)],
        [str(tools / "ruff"), "format", "--no-cache", "--check", str(ROOT)],
        [str(tools / "hadolint"), *(str(path) for path in files if path.name == "Dockerfile")],
        ["shellcheck", *(str(path) for path in files if is_shell_script(path))],
    ]


def run_linters(python: Path) -> int:
    failed = [command[0] for command in lint_commands(python) if run(command, check=False, cwd=ROOT) != 0]
    if failed:
        say(f"lint failed: {', '.join(Path(name).name for name in failed)} (see above)")
        return 1
    return 0


def lint(args: argparse.Namespace) -> int:
    return run_linters(ensure_test_environment(args))


def test(args: argparse.Namespace) -> int:
    python = prepare_machine(args)
    if run_linters(python) != 0:
        return 1
    build(args)
    build(args, HUB_IMAGE)  # the hub tests spawn the workspace from it
    # From the repository root, so that pytest.ini and its testpaths apply whatever the caller's folder.
    cmd = [str(python), "-m", "pytest", "--flavor", args.flavor, "--image-built"]
    if args.ca_cert:
        # "=" keeps pytest from taking the file's folder for a test path when it looks for its rootdir.
        cmd.append(f"--ca-cert={args.ca_cert}")
    cmd += args.pytest_args
    code = run(cmd, check=False, env={"PYTHONDONTWRITEBYTECODE": "1"}, cwd=ROOT)
    if code == 5:
        say("pytest collected no tests: that is a failure")
        return 1
    return code


def bench(args: argparse.Namespace) -> int:
    python = prepare_machine(args)
    if not image_exists(image_tags(args.flavor, None)[0]):
        build(args)
    return run([str(python), str(ROOT / "benchmarks" / "run.py"), *args.bench_args], check=False, cwd=ROOT)


# ---------------------------------------------------------------- command line


def add_build_options(parser: argparse.ArgumentParser, several_flavors: bool = False) -> None:
    parser.add_argument(
        "--flavor",
        choices=FLAVORS + (("all",) if several_flavors else ()),
        default="minimal",
        help="which image (default: minimal)" + ("; all: each in turn" if several_flavors else ""),
    )
    parser.add_argument(
        "--base-image",
        default=DEFAULT_BASE_IMAGE,
        help=f"image the workspace is built on (default: {DEFAULT_BASE_IMAGE}; "
        "made locally with 'build.py base' when it cannot be pulled)",
    )
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument(
        "--ca-cert",
        metavar="FILE",
        help="CA bundle (PEM) that apt, pip and npm trust during the build only, e.g. a "
        "TLS-intercepting proxy's; it is not in the final image (default: this host's own "
        f"bundle, the first of {', '.join(HOST_CA_BUNDLES)} that exists)",
    )
    trust.add_argument(
        "--no-ca-cert",
        action="store_true",
        help="trust only the CAs of the base image during the build, not this host's",
    )
    parser.add_argument("--pip-index-url", metavar="URL", help="PyPI mirror for the build")
    parser.add_argument("--npm-registry", metavar="URL", help="npm registry mirror for the build")
    parser.add_argument(
        "--wheelhouse",
        metavar="DIR",
        help="install Python packages from the wheels in DIR only, without a package index "
        "(offline builds; fill it with pip download --no-deps -r requirements/<flavor>.txt)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not reuse cached layers")
    parser.add_argument(
        "--mirror",
        default=DEFAULT_MIRROR,
        help=f"Debian mirror if the base image has to be made (default: {DEFAULT_MIRROR})",
    )
    parser.add_argument("--security-mirror", default=DEFAULT_SECURITY_MIRROR, help=argparse.SUPPRESS)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="build.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    base = commands.add_parser("base", help="make debian:bookworm-slim locally with debootstrap")
    base.add_argument("--name", default=DEFAULT_BASE_IMAGE, help=f"image name (default: {DEFAULT_BASE_IMAGE})")
    base.add_argument("--mirror", default=DEFAULT_MIRROR, help=f"Debian mirror (default: {DEFAULT_MIRROR})")
    base.add_argument(
        "--security-mirror",
        default=DEFAULT_SECURITY_MIRROR,
        help=f"Debian security mirror (default: {DEFAULT_SECURITY_MIRROR})",
    )
    base.add_argument("--force", action="store_true", help="remake it even if it exists")
    base.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")

    build_cmd = commands.add_parser(
        "build",
        help="build a workspace image",
        description="Build workbench:<flavor> and workbench:<flavor>-<version>.",
    )
    add_build_options(build_cmd, several_flavors=True)
    build_cmd.add_argument(
        "--tag", action="append", metavar="NAME:TAG", help="tag instead of the default ones (repeatable)"
    )
    build_cmd.add_argument("--dry-run", action="store_true", help="print the docker commands instead of running them")

    run_cmd = commands.add_parser(
        "run",
        help="run the workspace (builds the image if it is missing)",
        description='docker run -p PORT:8080 -v "$PWD:/workspace" and print the login URL.',
    )
    add_build_options(run_cmd)
    run_cmd.add_argument("--image", help="image to run (default: workbench:<flavor>)")
    run_cmd.add_argument("--name", default="workbench", help="container name (default: workbench)")
    run_cmd.add_argument("--port", type=int, default=8080, help="host port (default: 8080)")
    run_cmd.add_argument("--workspace", default=".", help="host folder mounted at /workspace (default: .)")
    run_cmd.add_argument(
        "--env",
        "-e",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment variable for the workspace (repeatable)",
    )

    lock_cmd = commands.add_parser(
        "lock",
        help="re-resolve requirements/<flavor>.txt from <flavor>.in",
        description="Resolves the flavor's top-level requirements to exact versions "
        "inside the base image, so the lock matches the image's Python.",
    )
    add_build_options(lock_cmd, several_flavors=True)
    lock_cmd.add_argument("--hub", action="store_true", help="lock the hub image's requirements (deploy/docker)")
    lock_cmd.add_argument("--dry-run", action="store_true", help="print the docker command instead of running it")

    hub_cmd = commands.add_parser(
        "hub",
        help="build the JupyterHub image for many users on one Docker host",
        description=f"Build {HUB_IMAGE.repository}:latest from deploy/docker (JupyterHub, "
        "DockerSpawner, configurable-http-proxy): see the README.",
    )
    add_build_options(hub_cmd)
    hub_cmd.add_argument("--dry-run", action="store_true", help="print the docker commands instead of running them")

    package_cmd = commands.add_parser(
        "package",
        help="build a SageMaker job image from a folder of code",
        description="A thin image FROM workbench:<flavor> with DIRECTORY's code in "
        "/opt/ml/code and its requirements.txt installed: `train`, `serve` "
        "and processing jobs, ready to push to a registry such as ECR.",
    )
    package_cmd.add_argument("directory", metavar="DIRECTORY", help="the folder with the job's code")
    add_build_options(package_cmd)
    package_cmd.add_argument("--tag", metavar="NAME:TAG", help="image name (default: the folder's name, :latest)")
    package_cmd.add_argument(
        "--program",
        metavar="SCRIPT",
        help="the script train runs and serve loads, relative to DIRECTORY (default: train.py, "
        "or the only .py file; '' to leave SAGEMAKER_PROGRAM unset)",
    )
    package_cmd.add_argument("--dry-run", action="store_true", help="print the docker command instead of running it")

    lint_cmd = commands.add_parser(
        "lint",
        help="check the code: ruff (Python), hadolint (Dockerfiles), ShellCheck (shell scripts)",
        description="The checks `test` runs before it builds (installs the tools first if they are missing).",
    )
    add_build_options(lint_cmd)

    bench_cmd = commands.add_parser(
        "bench",
        help="measure start-up, memory, sizes and the front door's cost",
        description="Runs benchmarks/run.py (builds minimal first if it is missing).",
    )
    add_build_options(bench_cmd)
    bench_cmd.add_argument("bench_args", nargs="*", help="benchmark arguments (after --), e.g. -- --repeat 5")

    test_cmd = commands.add_parser(
        "test",
        help="set this machine up, build, and run the test suite",
        description="Installs and starts the Docker engine if needed, makes the base "
        "image if it cannot be pulled, builds the flavor and runs pytest. "
        "Arguments after -- go to pytest.",
    )
    add_build_options(test_cmd)
    test_cmd.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return top


def build_ca(args: argparse.Namespace) -> str | None:
    """The CA bundle the build trusts: --ca-cert, else this host's own (none with --no-ca-cert)."""
    if getattr(args, "no_ca_cert", False):
        return None
    if getattr(args, "ca_cert", None):
        return args.ca_cert
    return next((bundle for bundle in HOST_CA_BUNDLES if Path(bundle).is_file()), None)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.ca_cert = build_ca(args)
    try:
        if args.command == "base":
            if not args.dry_run:
                ensure_engine()
                if image_exists(args.name) and not args.force:
                    say(f"{args.name} already exists (use --force to remake it)")
                    return 0
            make_base_image(args.name, args.mirror, args.security_mirror, dry_run=args.dry_run)
        elif args.command == "build":
            args.skip_setup = False
            if args.flavor == "all" and args.tag:
                raise BuildError("--tag names one image: build one flavor at a time with it")
            for flavor in FLAVORS if args.flavor == "all" else [args.flavor]:
                build(argparse.Namespace(**{**vars(args), "flavor": flavor}))
        elif args.command == "hub":
            args.skip_setup, args.tag = False, None
            build(args, HUB_IMAGE)
        elif args.command == "lock":
            lock(args)
        elif args.command == "package":
            package(args)
        elif args.command == "run":
            run_workspace(args)
        elif args.command == "test":
            args.tag, args.dry_run, args.skip_setup = None, False, True
            return test(args)
        elif args.command == "lint":
            return lint(args)
        elif args.command == "bench":
            args.tag, args.dry_run, args.skip_setup = None, False, True
            return bench(args)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
