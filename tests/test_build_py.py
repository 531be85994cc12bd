"""build.py's command line: what it would run is printed exactly, and bad input is refused."""

import os
import re
import shlex
import struct
import subprocess
import sys
import uuid
from pathlib import Path

import certifi
import pytest
import requests

from workbench_build import checks, engine, options, project
from workbench_client import free_port

ROOT = Path(__file__).resolve().parent.parent


def build_py(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, timeout=timeout
    )


def test_dry_run_prints_the_exact_docker_commands_and_runs_nothing(tmp_path):
    ca = tmp_path / "proxy-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    result = build_py("build", "--dry-run", "--ca-cert", str(ca), "--base-image", "example.org/debian:12")
    assert result.returncode == 0, result.stderr
    commands = [line[2:] for line in result.stdout.splitlines() if line.startswith("$ ")]
    staged = ROOT / "workspace" / "build-ca" / "extra-ca.crt"
    assert commands[0] == f"cp {shlex.quote(str(ca))} {staged}"
    assert commands[-1] == f"rm {staged}"
    docker = shlex.split(commands[1])
    assert docker[:3] == ["DOCKER_BUILDKIT=0", "docker", "build"]
    assert docker[-1] == str(ROOT / "workspace")
    pairs = list(zip(docker, docker[1:], strict=False))
    assert ("--file", str(ROOT / "workspace" / "Dockerfile")) in pairs
    assert ("--target", "minimal") in pairs
    assert ("--build-arg", "BASE_IMAGE=example.org/debian:12") in pairs
    assert ("--tag", "workbench:minimal") in pairs
    version = [
        value for flag, value in pairs if flag == "--label" and value.startswith("org.opencontainers.image.version=")
    ]
    assert ("--tag", f"workbench:minimal-{version[0].split('=')[1]}") in pairs
    assert not staged.exists()


def test_the_build_trusts_this_hosts_ca_bundle_unless_told_otherwise():
    host_bundle = next(bundle for bundle in options.HOST_CA_BUNDLES if Path(bundle).is_file())
    staged = ROOT / "workspace" / "build-ca" / "extra-ca.crt"
    default = build_py("build", "--dry-run")
    assert default.returncode == 0, default.stderr
    assert default.stdout.splitlines()[0] == f"$ cp {host_bundle} {staged}"
    without = build_py("build", "--dry-run", "--no-ca-cert")
    assert without.returncode == 0 and not [line for line in without.stdout.splitlines() if line.startswith("$ cp")]
    both = build_py("build", "--dry-run", "--no-ca-cert", "--ca-cert", host_bundle)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def behind_a_tls_intercepting_proxy() -> bool:
    """Whether HTTPS from here is re-signed by a CA that the public bundle (certifi's) does not hold."""
    try:
        requests.head("https://pypi.org/simple/", timeout=20, verify=certifi.where())
    except requests.exceptions.SSLError:
        return True
    except requests.RequestException:
        pytest.skip("PyPI cannot be reached from this machine")
    return False


@pytest.mark.container
def test_a_download_failing_on_a_certificate_names_the_option(docker_client):
    if not behind_a_tls_intercepting_proxy():
        pytest.skip("HTTPS is not intercepted here: a build without the host's CAs succeeds")
    # The hub image's first download over HTTPS is pip's, a few seconds into the build; a failed build tags nothing.
    before = {container.id for container in docker_client.containers.list(all=True)}
    result = build_py("hub", "--no-ca-cert", timeout=600)
    assert result.returncode == 1
    assert {container.id for container in docker_client.containers.list(all=True)} <= before  # nothing left behind
    assert result.stderr.strip().splitlines()[-1] == (
        "build.py: error: a download failed on a TLS certificate that the build does not trust: if HTTPS here passes "
        "a TLS-intercepting proxy, give its CA with --ca-cert FILE (by default the build trusts this host's own CA "
        "bundle)"
    )


def test_missing_ca_file_is_a_clear_error():
    result = build_py("build", "--dry-run", "--ca-cert", "/nonexistent/ca.pem")
    assert result.returncode == 1
    assert "--ca-cert: /nonexistent/ca.pem is not a readable file" in result.stderr


def test_all_flavors_build_in_turn_each_to_its_own_stage():
    result = build_py("build", "--dry-run", "--flavor", "all")
    assert result.returncode == 0, result.stderr
    builds = [shlex.split(line[2:]) for line in result.stdout.splitlines() if line.startswith("$ DOCKER_BUILDKIT=0")]
    targets = [build[build.index("--target") + 1] for build in builds]
    assert targets == ["minimal", "full", "gpu"]
    assert [build[build.index("--tag") + 1] for build in builds] == [
        "workbench:minimal",
        "workbench:full",
        "workbench:gpu",
    ]


def test_minimal_gets_the_sagemaker_kernel_by_option_and_full_is_built_on_it():
    result = build_py("build", "--dry-run", "--sagemaker-kernel")
    assert result.returncode == 0, result.stderr
    build = shlex.split(next(line[2:] for line in result.stdout.splitlines() if line.startswith("$ DOCKER_BUILDKIT=0")))
    assert build[build.index("--target") + 1] == "minimal-sagemaker"
    assert build[build.index("--tag") + 1] == "workbench:minimal"
    dockerfile = (ROOT / "workspace" / "Dockerfile").read_text()
    assert "\nFROM minimal-sagemaker AS full\n" in dockerfile
    # Its lock is resolved inside the built minimal image, over the workspace's environment.
    lock = build_py("lock", "--dry-run", "--environments")
    assert lock.returncode == 0, lock.stderr
    assert "workbench:minimal -c" in lock.stdout
    assert "install-environment.sh /tmp/lock -q --disable-pip-version-check --dry-run --report - -r " in lock.stdout
    assert "/requirements/sagemaker-kernel.in" in lock.stdout and "/requirements/mlflow.in" in lock.stdout


def test_lock_resolves_with_a_dry_run_report_in_the_base_image():
    result = build_py("lock", "--dry-run", "--flavor", "full")
    assert result.returncode == 0, result.stderr
    command = result.stdout.splitlines()[0]
    assert "--dry-run --ignore-installed --report - -r /requirements/full.in" in command
    assert "debian:bookworm-slim" in command


def test_wheelhouse_builds_offline_and_an_empty_one_is_refused(tmp_path):
    dry = build_py("build", "--dry-run", "--wheelhouse", str(tmp_path))
    assert "--build-arg PIP_NO_INDEX=1" in dry.stdout
    empty = build_py("build", "--wheelhouse", str(tmp_path))
    assert empty.returncode == 1
    assert f"--wheelhouse: {tmp_path} has no .whl files" in empty.stderr
    assert list((ROOT / "workspace" / "build-wheels").glob("*.whl")) == []


def test_unknown_flavor_is_refused():
    result = build_py("build", "--dry-run", "--flavor", "huge")
    assert result.returncode == 2
    assert "invalid choice: 'huge'" in result.stderr


def test_help_explains_every_command():
    result = build_py("--help")
    for command in ("base", "build", "run", "test"):
        assert f"  {command}" in result.stdout


def test_unit_tests_run_alone_without_a_docker_engine():
    """test --unit, as on a laptop with no engine: an engine that cannot be reached is never asked for."""
    unreachable = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "test", "--unit", "--", "-k", "floor"],
        capture_output=True,
        text=True,
        timeout=600,
        env=unreachable,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"^\d+ passed, \d+ deselected in ", result.stdout, re.MULTILINE), result.stdout[-2000:]


def test_the_local_base_leaves_out_what_debians_slim_images_leave_out(tmp_path):
    kept = ["usr/bin/bash", "usr/share/doc/bash/copyright", "usr/share/locale/locale.alias", "usr/share/zoneinfo/UTC"]
    left_out = [
        "usr/share/doc/bash/README.gz",
        "usr/share/locale/fr/LC_MESSAGES/bash.mo",
        "usr/share/man/man1/bash.1.gz",
    ]
    for name in kept + left_out:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    (tmp_path / "usr/share/info").mkdir()
    (tmp_path / "usr/share/info/dir").symlink_to("/nowhere")
    assert engine.slim_rootfs(tmp_path) == len(left_out) + 1
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()) == sorted(kept)


def test_shrink_tree_strips_what_still_loads_keeps_what_would_not_and_stores_copies_once(tmp_path):
    program = tmp_path / "bin" / "ls"
    program.parent.mkdir()
    # Debian's own programs come stripped: give one back the symbol table a wheel's library ships with.
    subprocess.run(["objcopy", "--add-symbol", "probe=.text:0", "/bin/ls", str(program)], check=True)
    assert b".symtab" in subprocess.run(["readelf", "-S", str(program)], capture_output=True).stdout
    misaligned = bytearray(Path("/bin/ls").read_bytes())
    # The first program header's p_offset, moved off its page: what auditwheel's patchelf left in OpenBLAS.
    (phoff,) = struct.unpack_from("<Q", misaligned, 0x20)
    first_load = next(
        phoff + index * 56 for index in range(64) if struct.unpack_from("<I", misaligned, phoff + index * 56)[0] == 1
    )
    struct.pack_into("<Q", misaligned, first_load + 8, struct.unpack_from("<Q", misaligned, first_load + 8)[0] + 8)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "misaligned.so").write_bytes(misaligned)
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "bundle.js").write_text("x" * 4096)
    result = subprocess.run(
        [sys.executable, str(ROOT / "workspace/requirements/shrink-tree.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert subprocess.run([str(program), "/"], capture_output=True, check=True).stdout
    assert b".symtab" not in subprocess.run(["readelf", "-S", str(program)], capture_output=True).stdout
    assert (tmp_path / "lib" / "misaligned.so").read_bytes() == misaligned
    assert "kept as it was (its segments are already misplaced)" in result.stdout
    assert (tmp_path / "a" / "bundle.js").stat().st_ino == (tmp_path / "b" / "bundle.js").stat().st_ino
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a", "b", "bin", "lib"]


def test_base_dry_run_shows_debootstrap_and_import():
    result = build_py("base", "--dry-run")
    assert "debootstrap --variant=minbase bookworm" in result.stdout
    assert "docker import" in result.stdout


@pytest.mark.container
def test_run_starts_the_workspace_as_the_folders_owner_and_a_failed_start_leaves_nothing(
    image, docker_client, tmp_path
):
    """As a root shell on a cloud machine uses it: a folder of another uid is worked in as that uid, a root-owned one
    is refused before anything starts, and a start the workspace refuses removes its container and says why."""
    name, port = f"workbench-test-run-{uuid.uuid4().hex[:8]}", free_port()

    def run(folder: Path, *options: str) -> subprocess.CompletedProcess:
        command = ["run", "--name", name, "--port", str(port), "--workspace", str(folder), "--image", image]
        return build_py(*command, *options, timeout=300)

    def container_exists() -> bool:
        return subprocess.run(["docker", "container", "inspect", name], capture_output=True).returncode == 0

    roots = tmp_path / "roots"
    roots.mkdir()
    refused = run(roots)
    assert refused.returncode == 1
    assert f"build.py: error: {roots} belongs to root, and the workspace's user is never root" in refused.stderr
    assert "chown 1000:100 work" in refused.stderr and not container_exists()

    folder = tmp_path / "project"
    folder.mkdir()
    os.chown(folder, 2345, 2345)
    try:
        failed = run(folder, "-e", "WORKSPACE_SSL_ENABLED=maybe")
        assert failed.returncode == 1
        assert failed.stderr.splitlines()[-1] == (
            "workbench: error: WORKSPACE_SSL_ENABLED='maybe' is not valid: must be yes or no "
            "(also accepted: true/false, 1/0, on/off)"
        ), failed.stderr
        assert not container_exists()

        result = run(folder)
        assert result.returncode == 0, result.stdout + result.stderr
        url = re.search(r"Open: (http://localhost:\d+/\?token=\S+)", result.stdout).group(1)
        assert url.startswith(f"http://localhost:{port}/?token=")
        landing = requests.get(url, timeout=30)
        assert landing.status_code == 200 and "<title>Workbench</title>" in landing.text
        mounts = docker_client.containers.get(name).attrs["Mounts"]
        assert [(m["Source"], m["Destination"]) for m in mounts] == [(str(folder), "/workspace")]
        # A notebook saved from the workspace belongs to the folder's owner on this machine.
        token = url.rpartition("token=")[2]
        saved = requests.put(
            f"http://localhost:{port}/api/contents/saved.ipynb",
            json={
                "type": "notebook",
                "format": "json",
                "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
            },
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert saved.status_code == 201, saved.text
        info = (folder / "saved.ipynb").stat()
        assert (info.st_uid, info.st_gid) == (2345, 2345)

        again = run(folder)
        assert again.returncode == 1 and f"a container named {name} already exists" in again.stderr
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=True)

        # The README's line for a root shell in a folder root owns, run there.
        options = f"--name {name} --port {port} --image {image}"
        readme = subprocess.run(
            f"mkdir -p work && chown 1000:100 work && {shlex.quote(sys.executable)} {ROOT / 'build.py'} run "
            f"--workspace work {options}",
            shell=True,
            cwd=roots,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert readme.returncode == 0, readme.stdout + readme.stderr
        assert docker_client.containers.get(name).attrs["Mounts"][0]["Source"] == str(roots / "work")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def test_package_names_the_script_and_refuses_what_is_not_there(tmp_path):
    code = tmp_path / "My Model"
    code.mkdir()
    (code / "train.py").write_text("print('training')\n")
    (code / "helpers.py").write_text("")
    dry = build_py("package", str(code), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "--build-arg WORKBENCH_IMAGE=workbench:minimal --build-arg SAGEMAKER_PROGRAM=train.py" in dry.stdout
    assert "--tag my-model:latest" in dry.stdout
    chosen = build_py("package", str(code), "--program", "helpers.py", "--tag", "churn:2", "--dry-run")
    assert "SAGEMAKER_PROGRAM=helpers.py" in chosen.stdout and "--tag churn:2" in chosen.stdout
    for args, message in ((["--program", "nope.py"], f"--program: nope.py is not a file in {code}"), ([], None)):
        target = str(code) if message else str(tmp_path / "missing")
        result = build_py("package", target, *args, "--dry-run")
        assert result.returncode == 1
        assert result.stderr.strip() == f"build.py: error: {message or f'{target} is not a folder'}"


def test_lint_covers_every_dockerfile_and_shell_script_but_not_templates_or_environments():
    commands = {Path(command[0]).name: command[1:] for command in checks.lint_commands(Path("/venv/bin/python"))}
    dockerfiles = {Path(path).relative_to(checks.ROOT).as_posix() for path in commands["hadolint"]}
    assert dockerfiles == {
        "workspace/Dockerfile",
        "deploy/docker/Dockerfile",
        "deploy/sagemaker/Dockerfile",
        "tests/resources/bring_your_own/Dockerfile",
        "tests/resources/fake_tools/Dockerfile",
        "tests/resources/web_apps/Dockerfile",
    }
    scripts = {Path(path).relative_to(checks.ROOT).as_posix() for path in commands["shellcheck"]}
    assert {".ci/run", "workspace/resources/bin/run-hooks.sh", "workspace/resources/bin/workbench-no-conda"} <= scripts
    assert not any(script.endswith(".j2") or script.startswith(".venv") for script in scripts)


def test_each_flavor_is_a_stage_of_the_dockerfile_on_the_flavor_below_it():
    stages = dict(
        (name, parent)
        for parent, name in re.findall(r"^FROM (\S+) AS (\S+)$", (project.CONTEXT / "Dockerfile").read_text(), re.M)
    )

    def flavor_below(stage: str) -> str:
        """The stage's parent, through stages that only add to a flavor (minimal-sagemaker: minimal and its kernel)."""
        parent = stages[stage]
        while parent not in project.FLAVOR_BASE and parent != "runtime-base":
            parent = stages[parent]
        return parent

    for flavor, below in project.FLAVOR_BASE.items():
        assert flavor_below(flavor) == (below or "runtime-base"), flavor
    assert stages["minimal-sagemaker"] == "minimal"


def build_arg(result: subprocess.CompletedProcess, name: str) -> str:
    docker = shlex.split(next(line[2:] for line in result.stdout.splitlines() if "docker build" in line))
    return next(value.partition("=")[2] for value in docker if value.startswith(f"{name}="))


def test_vscode_extensions_are_the_pinned_list_unless_given_and_bad_ids_are_refused(tmp_path):
    default = build_py("build", "--dry-run")
    pinned = [line for line in (ROOT / "workspace/requirements/vscode-extensions.txt").read_text().splitlines()]
    pinned = [line for line in pinned if line and not line.startswith("#")]
    assert pinned and all(re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+@[0-9][0-9.]*", line) for line in pinned)
    assert build_arg(default, "VSCODE_EXTENSIONS") == " ".join(pinned)
    chosen = build_py("build", "--dry-run", "--vscode-extensions", "redhat.vscode-yaml@1.15.0, ms-python.python")
    assert build_arg(chosen, "VSCODE_EXTENSIONS") == "redhat.vscode-yaml@1.15.0 ms-python.python"
    assert build_arg(build_py("build", "--dry-run", "--vscode-extensions", ""), "VSCODE_EXTENSIONS") == ""
    # Offline from .vsix files: nothing is asked of Open VSX.
    offline = build_py("build", "--dry-run", "--vscode-extensions-dir", str(tmp_path))
    assert build_arg(offline, "VSCODE_EXTENSIONS") == ""
    bad = build_py("build", "--dry-run", "--vscode-extensions", "ms-python.python,rm -rf")
    assert bad.returncode == 2 and "rm -rf is not publisher.name or publisher.name@version" in bad.stderr
    empty = build_py("build", "--vscode-extensions-dir", str(tmp_path), "--tag", "workbench-test-never:built")
    assert empty.returncode == 1 and f"--vscode-extensions-dir: {tmp_path} has no .vsix files" in empty.stderr


def test_tag_names_the_image_instead_of_the_flavors_own_tags():
    tagged = build_py("build", "--dry-run", "--tag", "mine:1", "--tag", "registry.example/mine:1")
    docker = shlex.split(next(line[2:] for line in tagged.stdout.splitlines() if "docker build" in line))
    assert [value for flag, value in zip(docker, docker[1:], strict=False) if flag == "--tag"] == [
        "mine:1",
        "registry.example/mine:1",
    ]
