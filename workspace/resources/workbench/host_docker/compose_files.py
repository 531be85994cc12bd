"""A Compose file's bind mounts made the host's: the engine reads a bind mount's source on its own host, so a folder
of the workspace (/workspace/data) has to be named there as the host knows it (/home/ann/project/data). Named
volumes, a build's context and env files (which the client reads) stay as they are."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from .own_container import OwnContainer


def _is_path(source: str) -> bool:
    """Compose's own rule: a volume's source that starts like a path is a bind mount, anything else a volume's name."""
    return source.startswith(("/", ".", "~"))


def _absolute(source: str, project_dir: str) -> str:
    """As Compose resolves it: ~ is the caller's home, a relative path is the project folder's."""
    expanded = os.path.expanduser(source)
    return os.path.normpath(os.path.join(project_dir, expanded))


def _host_source(source: str, project_dir: str, own: OwnContainer, unseen: list[str]) -> str | None:
    """A bind mount's source as the host knows it; None, and the source added to `unseen`, when the engine cannot
    see it."""
    absolute = _absolute(source, project_dir)
    host = own.host_path(absolute)
    if host is None:
        unseen.append(absolute)
    return host


def _with_host_source(volume, project_dir: str, own: OwnContainer, unseen: list[str]):
    """The volume (short "source:target[:mode]" or long syntax) with its source the host's (_host_source)."""
    if isinstance(volume, dict):
        if volume.get("type") != "bind" or "source" not in volume:
            return volume
        host = _host_source(str(volume["source"]), project_dir, own, unseen)
        return volume if host is None else {**volume, "source": host}
    parts = str(volume).split(":")
    if len(parts) < 2 or not _is_path(parts[0]):
        return volume
    host = _host_source(parts[0], project_dir, own, unseen)
    return volume if host is None else ":".join([host, *parts[1:]])


def make_bind_mounts_the_hosts(document: dict, project_dir: str, own: OwnContainer) -> list[str]:
    """Rewrites the document's services' bind mounts in place; returns the sources the engine cannot see (in the
    workspace's own filesystem, on no mount), which the file cannot run with."""
    unseen: list[str] = []
    for service in (document.get("services") or {}).values():
        if isinstance(service, dict) and service.get("volumes"):
            service["volumes"] = [_with_host_source(volume, project_dir, own, unseen) for volume in service["volumes"]]
    return unseen


def project_directory_of(files: list[str]) -> str:
    """Compose's default project folder: the first file's."""
    return str(PurePosixPath(os.path.abspath(files[0])).parent)
