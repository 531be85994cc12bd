"""build.py's command line: what it would run is printed exactly, and bad input is refused."""
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_py(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True,
                          timeout=60)


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
    pairs = list(zip(docker, docker[1:]))
    assert ("--file", str(ROOT / "workspace" / "Dockerfile")) in pairs
    assert ("--target", "minimal") in pairs
    assert ("--build-arg", "BASE_IMAGE=example.org/debian:12") in pairs
    assert ("--tag", "workbench:minimal") in pairs
    version = [value for flag, value in pairs if flag == "--build-arg" and value.startswith("WORKBENCH_VERSION=")]
    assert ("--tag", f"workbench:minimal-{version[0].split('=')[1]}") in pairs
    assert not staged.exists()


def test_missing_ca_file_is_a_clear_error():
    result = build_py("build", "--dry-run", "--ca-cert", "/nonexistent/ca.pem")
    assert result.returncode == 1
    assert "--ca-cert: /nonexistent/ca.pem is not a readable file" in result.stderr


def test_unknown_flavor_is_refused():
    result = build_py("build", "--dry-run", "--flavor", "huge")
    assert result.returncode == 2
    assert "invalid choice: 'huge'" in result.stderr


def test_help_explains_every_command():
    result = build_py("--help")
    for command in ("base", "build", "run", "test"):
        assert f"  {command}" in result.stdout


def test_base_dry_run_shows_debootstrap_and_import():
    result = build_py("base", "--dry-run")
    assert "debootstrap --variant=minbase bookworm" in result.stdout
    assert "docker import" in result.stdout
