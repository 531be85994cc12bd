"""SageMaker's local mode from a notebook in the workspace. The SDK writes a Compose file and runs it as on the host
it was made for, which the workspace is not:
- its working folders (local.container_root) are bind-mounted, so they must be where the engine sees them: under
  /workspace (compose_files.py makes the paths the host's);
- an endpoint is published on the host's local.serving_port and asked for on localhost, which in a workspace is the
  workspace (and SageMaker's 8080 is the door's). The endpoint's container joins the workspace's network instead,
  published nowhere, and the workspace's localhost:serving_port is carried to it while it runs (forwarding.py);
- the containers it starts are left behind when they stop: they are removed once its `up` ends.
The image's home has ~/.sagemaker/config.yaml (default_config) saying both settings."""

from __future__ import annotations

from dataclasses import dataclass

from ..facts import paths
from .own_container import OwnContainer

# What the SDK names the network its containers join (its files are told by it).
NETWORK = "sagemaker-local"
# The name, in a rewritten file, of the workspace's own network when it is not the default bridge.
WORKSPACE_NETWORK = "workspace"


def is_sagemakers(document: dict) -> bool:
    return NETWORK in (document.get("networks") or {})


@dataclass(frozen=True)
class Endpoint:
    """A served container the workspace reaches on its loopback `local_port`, at `container_port` of its address on
    `network`."""

    container: str
    network: str
    container_port: int
    local_port: int


def _published(mapping) -> tuple[int, int]:
    """(local, container) of a port mapping as the SDK writes it: "8081:8080"."""
    local, _, inside = str(mapping).rpartition(":")
    return int(local.rpartition(":")[2]), int(inside.partition("/")[0])


def serve_inside_the_workspace(document: dict, own: OwnContainer) -> list[Endpoint]:
    """Rewrites the served services of the SDK's file in place (see the module's text); returns what to forward.
    A workspace on the host's network shares the host's loopback: the port is published there, on loopback only."""
    endpoints = []
    for name, service in (document.get("services") or {}).items():
        if not service.get("ports"):
            continue
        mappings = [_published(mapping) for mapping in service["ports"]]
        if own.network_mode == "host":
            service["ports"] = [f"127.0.0.1:{local}:{inside}" for local, inside in mappings]
            continue
        del service["ports"]
        service.pop("networks", None)
        if own.network_mode in ("bridge", "default") or "bridge" in own.networks or not own.networks:
            service["network_mode"] = network = "bridge"
        else:
            network = own.networks[0]
            service["networks"] = [WORKSPACE_NETWORK]
            document.setdefault("networks", {})[WORKSPACE_NETWORK] = {"external": {"name": network}}
        container = service.get("container_name") or name
        endpoints += [Endpoint(container, network, inside, local) for local, inside in mappings]
    return endpoints


def default_config() -> str:
    """~/.sagemaker/config.yaml of the image's home, where the SDK reads its local mode's settings."""
    return (
        "# SageMaker's local mode from this workspace (docs/using.md, \"Local mode from a notebook\"): the SDK's\n"
        "# working folders must be under /workspace, where the Docker engine sees them, and a local endpoint answers\n"
        "# on this port of the workspace (8080 is the workspace's own).\n"
        "local:\n"
        f"  container_root: {paths.SAGEMAKER_LOCAL_ROOT}\n"
        f"  serving_port: {paths.SAGEMAKER_LOCAL_SERVING_PORT}\n"
    )
