"""The settings that change what workbench/contracts/render.py writes the most: each variant is rendered by the unit
tests and checked by the image's own nginx (tests/container/test_rendered_configs.py)."""

# What DockerSpawner and KubeSpawner set for a user's server.
SPAWNED = {
    "JUPYTERHUB_API_TOKEN": "secret",
    "JUPYTERHUB_USER": "alice",
    "JUPYTERHUB_BASE_URL": "/",
    "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
    "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/alice/",
    "JUPYTERHUB_API_URL": "http://jupyterhub:8081/hub/api",
}

VARIANTS = {
    "default": {},
    "prefix": {"WORKSPACE_BASE_URL": "/team/a.b+c/ws"},
    "open": {"AUTHENTICATE_VIA_JUPYTER": "false", "WORKSPACE_PORT": "9000"},
    "tls": {
        "WORKSPACE_SSL_ENABLED": "true",
        "AUTHENTICATE_VIA_JUPYTER": "false",
        "WORKSPACE_ALLOWED_HOSTS": "ws.example.test,.corp.test,[fe80::1]",
    },
    "hub": SPAWNED,
}
