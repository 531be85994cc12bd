"""Behind a TLS-intercepting proxy (this machine is behind one): with the proxy's CA given at start, pip, uv, curl
and Node inside the workspace reach PyPI and npm; without it, pip and uv fail on the certificate. Started as root
(the system's store) and as the user (a bundle of its own)."""

import json

import pytest

from kernels import execute
from workbench.contracts import trust
from workbench.facts import catalogue, paths
from workbench_build.options import host_ca_bundle

pytestmark = pytest.mark.container

# A small pure-Python package the image does not have.
PACKAGE = "cowsay==6.1"
MOUNTED = f"{paths.EXTRA_CA_DIR}/company.pem"
NODE = dict(catalogue.by_name("vscode").values)["node"]  # code-server's Node
CHECKS = f"""
import json, subprocess, sys
def run(*command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return [done.returncode, (done.stdout + done.stderr)[-1500:]]
print(json.dumps({{
    "pip": run(sys.executable, "-m", "pip", "install", "--user", "--no-cache-dir", "--no-deps", "{PACKAGE}"),
    "uv": run("uv", "pip", "install", "--color", "never", "--dry-run", "--no-cache", "--python", sys.executable,
              "{PACKAGE}"),
    "curl": run("curl", "-sS", "-o", "/dev/null", "-w", "%{{http_code}}", "https://pypi.org/simple/cowsay/"),
    "node": run("{NODE}", "-e",
                "require('https').get('https://registry.npmjs.org/cowsay', r => {{ console.log(String(r.statusCode)); "
                "process.exit(0); }}).on('error', e => {{ console.log(e.code); process.exit(1); }})"),
}}))
"""
SHOW_VARIABLES = f"import json, os; print(json.dumps({{n: os.environ.get(n) for n in {trust.BUNDLE_VARIABLES!r}}}))"


def outcomes(workspace) -> dict:
    return json.loads(execute(workspace, CHECKS, timeout=300))


@pytest.mark.skipif(host_ca_bundle() is None, reason="this machine has no CA bundle to hand over")
@pytest.mark.parametrize("user", ["root", "1000:100"])
def test_with_the_proxys_ca_pip_curl_and_node_reach_the_registries(workspaces, host_workspace, user):
    workspace = workspaces.start(
        workspace_dir=host_workspace,
        volumes_extra={host_ca_bundle(): {"bind": MOUNTED, "mode": "ro"}},
        user=user,
    )
    seen = outcomes(workspace)
    assert seen["pip"][0] == 0 and "Successfully installed cowsay-6.1" in seen["pip"][1], seen["pip"]
    assert seen["uv"][0] == 0 and "+ cowsay==6.1" in seen["uv"][1], seen["uv"]
    assert seen["curl"] == [0, "200"], seen["curl"]
    assert seen["node"] == [0, "200\n"], seen["node"]
    # Every client was pointed at one bundle: the system's store as root, the workspace's own otherwise.
    expected = str(trust.SYSTEM_BUNDLE if user == "root" else paths.RUN_DIR / "ca-certificates.crt")
    assert json.loads(execute(workspace, SHOW_VARIABLES)) == dict.fromkeys(trust.BUNDLE_VARIABLES, expected)


def test_without_it_pip_fails_on_the_certificate(workspaces, host_workspace):
    seen = outcomes(workspaces.start(workspace_dir=host_workspace))
    assert seen["pip"][0] != 0 and "CERTIFICATE_VERIFY_FAILED" in seen["pip"][1], seen["pip"]
    assert seen["uv"][0] != 0 and "invalid peer certificate" in seen["uv"][1], seen["uv"]
    assert seen["node"][0] != 0, seen["node"]
