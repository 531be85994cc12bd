"""deploy/kubernetes/values.yaml's JupyterHub, authenticator and KubeSpawner settings, checked against the real
classes (installed from PyPI in the test environment); its chart keys are validated against the chart's own schema
in tests/unit/test_helm_chart_values.py."""

from __future__ import annotations

import re

import pytest
import yaml
from jupyterhub.app import JupyterHub
from jupyterhub.auth import Authenticator
from kubespawner import KubeSpawner
from nativeauthenticator import NativeAuthenticator
from traitlets import TraitError
from traitlets.config import Config

from workbench_build import project

VALUES_FILE = project.ROOT / "deploy" / "kubernetes" / "values.yaml"
CONFIGURABLES = {cls.__name__: cls for cls in (JupyterHub, Authenticator, NativeAuthenticator, KubeSpawner)}


@pytest.fixture
def values() -> dict:
    return yaml.safe_load(VALUES_FILE.read_text())


def setting_errors(class_name: str, settings: dict) -> list[str]:
    """Each setting must be a configurable trait of the class, and its value one the trait accepts."""
    cls = CONFIGURABLES.get(class_name)
    if cls is None:
        return [f"{class_name}: not a class these values configure"]
    traits, instance, errors = cls.class_traits(config=True), cls.__new__(cls), []
    for name, value in settings.items():
        if name not in traits:
            errors.append(f"{class_name}.{name}: no such setting")
            continue
        try:
            traits[name].validate(instance, value)
        except TraitError as error:
            errors.append(f"{class_name}.{name}: {error}")
    return errors


def test_hub_config_sets_real_settings_with_valid_values(values):
    for class_name, settings in values["hub"]["config"].items():
        assert setting_errors(class_name, settings) == []
    assert (
        values["hub"]["config"]["JupyterHub"]["authenticator_class"]
        == f"{NativeAuthenticator.__module__.partition('.')[0]}.{NativeAuthenticator.__name__}"
    )


def test_extra_config_runs_and_sets_real_kubespawner_settings(values):
    for name, snippet in values["hub"]["extraConfig"].items():
        c = Config()
        exec(compile(snippet, name, "exec"), {"c": c})  # as the chart's jupyterhub_config.py runs it
        assert c, f"{name} sets nothing"
        for class_name, settings in c.items():
            assert setting_errors(class_name, dict(settings)) == []


def test_profile_overrides_are_kubespawner_settings(values):
    profiles = values["singleuser"]["profileList"]
    assert [profile["display_name"] for profile in profiles] == ["Minimal", "Full", "GPU"]
    assert [profile.get("default", False) for profile in profiles] == [True, False, False]
    for profile in profiles:
        assert setting_errors("KubeSpawner", profile.get("kubespawner_override", {})) == []
    gpu = profiles[2]["kubespawner_override"]
    assert gpu["extra_resource_limits"] == {"nvidia.com/gpu": "1"}


def test_a_setting_kubespawner_does_not_have_is_caught():
    assert setting_errors("KubeSpawner", {"gpu_limit": 1}) == ["KubeSpawner.gpu_limit: no such setting"]
    assert setting_errors("KubeSpawner", {"cpu_guarantee": "lots"})[0].startswith("KubeSpawner.cpu_guarantee:")


def test_images_are_this_versions_flavors(values):
    version = project.version()
    image = values["singleuser"]["image"]
    assert image["tag"] == f"minimal-{version}"
    overrides = [profile.get("kubespawner_override", {}) for profile in values["singleuser"]["profileList"]]
    assert [override.get("image") for override in overrides] == [
        None,
        f"{image['name']}:full-{version}",
        f"{image['name']}:gpu-{version}",
    ]


def test_pod_user_and_mount_match_the_image(values):
    dockerfile = (project.CONTEXT / "Dockerfile").read_text()
    uid = int(re.search(r"NB_UID=(\d+)", dockerfile).group(1))
    gid = int(re.search(r"NB_GID=(\d+)", dockerfile).group(1))
    singleuser = values["singleuser"]
    assert (singleuser["uid"], singleuser["fsGid"]) == (uid, gid)
    assert singleuser["storage"]["homeMountPath"] == "/workspace"
    assert singleuser["cmd"] == "jupyterhub-singleuser"
    shm = [mount for mount in singleuser["storage"]["extraVolumeMounts"] if mount["mountPath"] == "/dev/shm"]
    assert shm and values["cull"]["enabled"] and values["cull"]["timeout"] >= values["cull"]["every"]
