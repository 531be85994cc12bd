"""The image's own nginx accepts the configuration rendered for every variant of the settings."""

import pytest

from render_variants import VARIANTS
from workbench.contracts import render
from workbench.contracts.settings import load
from workbench.facts import paths
from workspaces import TEST_LABELS

pytestmark = pytest.mark.container


def test_image_nginx_accepts_every_rendered_variant(docker_client, image, tmp_path):
    for name, env in VARIANTS.items():
        (tmp_path / f"{name}.conf").write_text(render.render("nginx.conf.j2", load(env)))
    render.make_nginx_temp_dirs(tmp_path)
    # The TLS variant's certificate, made as the workspace makes its self-signed one.
    make_certificate = (
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        f"-subj /CN=localhost -keyout {paths.SERVED_TLS_KEY} -out {paths.SERVED_TLS_CERT} 2>/dev/null"
    )
    script = (
        make_certificate + f" && for f in {paths.RUN_DIR}/*.conf; do nginx -t -q -e stderr -c $f "
        "|| { echo FAILED $f; exit 1; }; done"
    )
    output = docker_client.containers.run(
        image,
        entrypoint=["/bin/sh", "-c", script],
        remove=True,
        stderr=True,
        volumes={str(tmp_path): {"bind": str(paths.RUN_DIR), "mode": "rw"}},
        labels=TEST_LABELS,
    )
    assert b"FAILED" not in output, output
