"""The Docker engine and the base image: installed, started and made when a fresh machine lacks them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from fnmatch import fnmatchcase
from pathlib import Path

from .options import BuildOptions
from .project import DEFAULT_BASE_IMAGE
from .shell import BuildError, apt_install, capture, run, say

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


def slim_excluded(path: str) -> bool:
    """dpkg's rule for a path (the last matching pattern decides; its globs match across slashes, as fnmatch's)."""
    excluded = False
    for rule, pattern in (line.split() for line in SLIM_DPKG_EXCLUDES.splitlines()):
        if fnmatchcase(path, pattern):
            excluded = rule == "path-exclude"
    return excluded


def slim_rootfs(rootfs: Path) -> int:
    """Delete what debootstrap installed before the excludes were in place (the official slim images' build does
    the same): 45 MB of translations, manuals and documentation. Returns the number of files deleted."""
    deleted = 0
    for entry in list(rootfs.rglob("*")):
        if (entry.is_file() or entry.is_symlink()) and slim_excluded("/" + str(entry.relative_to(rootfs))):
            entry.unlink()
            deleted += 1
    return deleted


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


def ensure_base_image(name: str, options: BuildOptions) -> None:
    if image_exists(name):
        return
    say(f"base image {name} not present: trying to pull it")
    if capture(["docker", "pull", name]).returncode == 0:
        return
    if name != DEFAULT_BASE_IMAGE:
        raise BuildError(f"cannot pull {name} and only {DEFAULT_BASE_IMAGE} can be made locally")
    say("pull failed (no registry access): making it locally with debootstrap")
    make_base_image(name, options.mirror, options.security_mirror)


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
        say(f"slimmed like debian:{suite}-slim: {slim_rootfs(rootfs)} files left out")
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
