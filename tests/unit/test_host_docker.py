"""Docker from inside the workspace against the host's engine: the workspace's docker-compose names the host's
folders in bind mounts, reaches SageMaker's local endpoints from the workspace's loopback, and reads its command line
as Compose does. The whole of it runs against a real engine in tests/container/test_sagemaker_local_mode.py."""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest

from workbench.facts import paths
from workbench.host_docker import compose, compose_files, own_container, sagemaker_local
from workbench.host_docker.forwarding import Forwarder

CONTAINER_ID = "3f" * 32
MOUNTINFO = f"""\
1083 1010 0:51 / / rw,relatime master:499 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/AB
1100 1083 8:1 /home/ann/project /workspace rw,relatime - ext4 /dev/sda1 rw
1101 1083 8:1 /var/lib/docker/containers/{CONTAINER_ID}/resolv.conf /etc/resolv.conf rw - ext4 /dev/sda1 rw
1102 1083 8:1 /var/lib/docker/containers/{CONTAINER_ID}/hostname /etc/hostname rw - ext4 /dev/sda1 rw
"""


def inspected(network_mode: str = "bridge", networks: tuple[str, ...] = ("bridge",)) -> dict:
    return {
        "Id": CONTAINER_ID,
        "Mounts": [
            {"Type": "bind", "Source": "/home/ann/project", "Destination": "/workspace"},
            {"Type": "volume", "Source": "/var/lib/docker/volumes/cache/_data", "Destination": "/workspace/cache"},
            {"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock"},
        ],
        "HostConfig": {"NetworkMode": network_mode},
        "NetworkSettings": {"Networks": {name: {"IPAddress": "172.17.0.2"} for name in networks}},
    }


OWN = own_container.from_inspection(inspected())


def test_the_container_knows_its_id_from_the_engines_mounts_and_else_from_its_hostname():
    assert own_container.own_id(MOUNTINFO, "ws") == CONTAINER_ID
    assert own_container.own_id(MOUNTINFO.replace("/containers/", "/elsewhere/"), "5e1f00d") == "5e1f00d"


@pytest.mark.parametrize(
    "path, host",
    [
        ("/workspace", "/home/ann/project"),
        ("/workspace/data/train.csv", "/home/ann/project/data/train.csv"),
        ("/workspace/cache/x", "/var/lib/docker/volumes/cache/_data/x"),  # the mount nearest the path
        ("/workspace/../workspace/data", "/home/ann/project/data"),
        ("/workspacex/data", None),
        ("/tmp/tmpab12", None),  # the container's own filesystem
    ],
)
def test_a_path_is_named_as_the_engine_finds_it(path, host):
    assert OWN.host_path(path) == host


SDK_FILE = {
    "version": "2.3",
    "services": {
        "algo-1-ab12c": {
            "image": "churn-model:latest",
            "container_name": "xy-algo-1-ab12c",
            "volumes": [
                "/workspace/.workbench/sagemaker-local/tmpq1/algo-1-ab12c/input:/opt/ml/input",
                "/workspace/data:/opt/ml/input/data/train:ro",
            ],
            "networks": {"sagemaker-local": {"aliases": ["algo-1-ab12c"]}},
            "ports": ["8081:8080"],
            "command": "serve",
        }
    },
    "networks": {"sagemaker-local": {"name": "sagemaker-local"}},
}


def sdk_file() -> dict:
    import copy

    return copy.deepcopy(SDK_FILE)


def test_bind_mounts_name_the_hosts_folders_and_volumes_stay_as_they_are():
    document = {
        "services": {
            "db": {"volumes": ["pgdata:/var/lib/postgresql/data", "./init:/docker-entrypoint-initdb.d:ro", "/tmp"]},
            "app": {"volumes": [{"type": "bind", "source": "../shared", "target": "/shared"}, {"type": "tmpfs"}]},
        }
    }
    assert compose_files.make_bind_mounts_the_hosts(document, "/workspace/app", OWN) == []
    assert document["services"]["db"]["volumes"] == [
        "pgdata:/var/lib/postgresql/data",
        "/home/ann/project/app/init:/docker-entrypoint-initdb.d:ro",
        "/tmp",  # an anonymous volume at /tmp, not a path of the workspace's
    ]
    assert document["services"]["app"]["volumes"][0]["source"] == "/home/ann/project/shared"


def test_a_folder_the_engine_cannot_see_is_named_and_left_alone():
    document = {"services": {"train": {"volumes": ["/tmp/tmpq1/input:/opt/ml/input", "/workspace/d:/d"]}}}
    assert compose_files.make_bind_mounts_the_hosts(document, "/tmp/tmpq1", OWN) == ["/tmp/tmpq1/input"]
    assert document["services"]["train"]["volumes"] == ["/tmp/tmpq1/input:/opt/ml/input", "/home/ann/project/d:/d"]


def test_an_endpoint_joins_the_workspaces_bridge_unpublished_and_is_forwarded_from_its_loopback():
    document = sdk_file()
    assert sagemaker_local.is_sagemakers(document)
    endpoints = sagemaker_local.serve_inside_the_workspace(document, OWN)
    assert endpoints == [sagemaker_local.Endpoint("xy-algo-1-ab12c", "bridge", 8080, 8081)]
    service = document["services"]["algo-1-ab12c"]
    assert service["network_mode"] == "bridge" and "ports" not in service and "networks" not in service


def test_an_endpoint_joins_the_workspaces_own_network_under_a_hub():
    own = own_container.from_inspection(inspected("jupyterhub", ("jupyterhub",)))
    document = sdk_file()
    endpoints = sagemaker_local.serve_inside_the_workspace(document, own)
    assert endpoints == [sagemaker_local.Endpoint("xy-algo-1-ab12c", "jupyterhub", 8080, 8081)]
    assert document["services"]["algo-1-ab12c"]["networks"] == [sagemaker_local.WORKSPACE_NETWORK]
    assert document["networks"][sagemaker_local.WORKSPACE_NETWORK] == {"external": {"name": "jupyterhub"}}


def test_on_the_hosts_network_an_endpoint_is_published_on_loopback_only():
    own = own_container.from_inspection(inspected("host", ("host",)))
    document = sdk_file()
    assert sagemaker_local.serve_inside_the_workspace(document, own) == []
    assert document["services"]["algo-1-ab12c"]["ports"] == ["127.0.0.1:8081:8080"]


def test_training_files_and_other_files_are_not_served_differently():
    training = sdk_file()
    del training["services"]["algo-1-ab12c"]["ports"]
    assert sagemaker_local.serve_inside_the_workspace(training, OWN) == []
    assert training == {**sdk_file(), "services": {"algo-1-ab12c": training["services"]["algo-1-ab12c"]}}
    assert not sagemaker_local.is_sagemakers({"services": {"web": {"ports": ["80:80"]}}})


def test_the_image_homes_sdk_settings_are_the_workspaces_folders_and_port():
    import yaml

    local = yaml.safe_load(sagemaker_local.default_config())["local"]
    assert local == {
        "container_root": str(paths.SAGEMAKER_LOCAL_ROOT),
        "serving_port": paths.SAGEMAKER_LOCAL_SERVING_PORT,
    }
    assert str(paths.SAGEMAKER_LOCAL_ROOT).startswith(f"{paths.WORKSPACE_DIR}/")


def test_the_command_line_is_read_as_compose_reads_it():
    invocation = compose.Invocation(
        ["-f", "/w/a.yaml", "--file=/w/b.yaml", "-p", "proj", "--verbose", "up", "--build", "-f", "not-global"]
    )
    assert invocation.files == ["/w/a.yaml", "/w/b.yaml"]
    assert invocation.command == ["up", "--build", "-f", "not-global"]
    assert invocation.creating and invocation.up_in_the_foreground
    assert invocation.global_options(["/s/0-a.yaml", "/s/1-b.yaml"], "/w") == [
        "-f", "/s/0-a.yaml", "-f", "/s/1-b.yaml", "--project-directory", "/w", "-p", "proj", "--verbose",
    ]  # fmt: skip
    assert not compose.Invocation(["-f", "a.yaml", "up", "--detach"]).up_in_the_foreground
    assert not compose.Invocation(["ps"]).creating
    given = compose.Invocation(["--project-directory", "/p", "up"])
    assert given.global_options(["/s/0-x.yaml"], "/p") == ["-f", "/s/0-x.yaml", "--project-directory", "/p"]


def test_without_f_the_files_are_composes_defaults(tmp_path, monkeypatch):
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "docker-compose.override.yml").write_text("services: {}\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.delenv("COMPOSE_FILE", raising=False)
    expected = [str(tmp_path / "docker-compose.yml"), str(tmp_path / "docker-compose.override.yml")]
    assert compose.default_files(tmp_path / "sub") == expected
    monkeypatch.setenv("COMPOSE_FILE", "/a.yml:/b.yml")
    assert compose.default_files(tmp_path) == ["/a.yml", "/b.yml"]


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"echo:" + self.request.recv(1024))


def test_the_forwarder_hangs_up_until_it_has_a_target_then_carries_both_ways():
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo) as echo:
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        where: list = [None]
        forwarder = Forwarder(0, lambda: where[0]).start()
        port = forwarder.listener.getsockname()[1]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as early:
                assert early.recv(16) == b""  # hung up on, as a server not yet listening refuses
            where[0] = echo.server_address
            with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
                client.sendall(b"ping")
                client.shutdown(socket.SHUT_WR)
                assert client.recv(64) == b"echo:ping"
            with pytest.raises(OSError):
                Forwarder(port, lambda: None)  # the port is taken: said at once, not when asked
        finally:
            forwarder.close()
            echo.shutdown()
