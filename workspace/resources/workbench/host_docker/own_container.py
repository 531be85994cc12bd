"""This container as the Docker engine sees it: what is mounted where (so that a path inside it can be told as the
engine knows it) and which network it is on. Standard library only: it runs under the system Python, beside Debian's
docker-compose."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import PurePosixPath

# The engine mounts each container's own /etc/hostname from its folder, named by the container's id.
_CONTAINER_FOLDER = re.compile(r"/containers/([0-9a-f]{64})/")
_ENGINE_WRITTEN = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}


@dataclass(frozen=True)
class Mount:
    source: PurePosixPath  # on the engine's host (a bind mount's folder, a volume's _data)
    destination: PurePosixPath  # in this container


@dataclass(frozen=True)
class OwnContainer:
    id: str
    mounts: tuple[Mount, ...]
    network_mode: str  # HostConfig.NetworkMode: "host", "bridge", a network's name, "container:..."
    networks: tuple[str, ...]

    def host_path(self, path: str) -> str | None:
        """Where the engine finds this container's path (resolved, as the kernel would), or None when it lies in
        the container's own filesystem, which the engine cannot mount into another container."""
        real = PurePosixPath(os.path.realpath(path))
        holders = [mount for mount in self.mounts if mount.destination == real or mount.destination in real.parents]
        if not holders:
            return None
        mount = max(holders, key=lambda holder: len(holder.destination.parts))
        return str(mount.source / real.relative_to(mount.destination))


def own_id(mountinfo: str, hostname: str) -> str:
    """The container's id from the engine's own mounts (/proc/self/mountinfo), else its hostname (by default the id's
    start, which `docker inspect` takes too)."""
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[4] in _ENGINE_WRITTEN:
            found = _CONTAINER_FOLDER.search(fields[3])
            if found:
                return found.group(1)
    return hostname


def from_inspection(inspected: dict) -> OwnContainer:
    """From `docker inspect`'s record of a container."""
    return OwnContainer(
        id=inspected["Id"],
        mounts=tuple(
            Mount(PurePosixPath(mount["Source"]), PurePosixPath(mount["Destination"]))
            for mount in inspected.get("Mounts") or ()
            if mount.get("Source")
        ),
        network_mode=inspected["HostConfig"].get("NetworkMode", "default"),
        networks=tuple((inspected.get("NetworkSettings") or {}).get("Networks") or {}),
    )


def inspect(container: str) -> dict | None:
    """`docker inspect`'s record of a container; None when there is no engine to ask or it knows no such container."""
    try:
        inspected = subprocess.run(
            ["docker", "inspect", "--type", "container", container], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if inspected.returncode != 0:
        return None
    return json.loads(inspected.stdout)[0]


def learn() -> OwnContainer | None:
    """Ask the engine about this container; None when there is no engine to ask or it does not know this one (the
    workspace is not a container of that engine's)."""
    with open("/proc/self/mountinfo") as mounts:
        inspected = inspect(own_id(mounts.read(), socket.gethostname()))
    return from_inspection(inspected) if inspected else None
