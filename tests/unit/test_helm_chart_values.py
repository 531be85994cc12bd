"""deploy/kubernetes/values.yaml as Helm sees it: merged over the Zero to JupyterHub chart's own defaults and
validated against the chart's own schema (chart 4.3.3, tests/resources/z2jh-4.3.3). The settings inside hub.config
and the spawner overrides are checked against the real classes in tests/hub/test_helm_values.py."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "tests" / "resources" / "z2jh-4.3.3"
VALUES_FILE = ROOT / "deploy" / "kubernetes" / "values.yaml"
SCHEMA = yaml.safe_load((CHART / "values.schema.yaml").read_text())
DEFAULTS = yaml.safe_load((CHART / "values.yaml").read_text())


def helm_merge(defaults, given):
    """Helm's coalescing of user values over a chart's: maps merge key by key, a null removes the chart's key, and
    anything else (lists too) replaces it."""
    if not (isinstance(defaults, dict) and isinstance(given, dict)):
        return copy.deepcopy(given)
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = helm_merge(defaults.get(key), value)
    return merged


def chart_errors(values: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return sorted(
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(helm_merge(DEFAULTS, values))
    )


@pytest.fixture
def values() -> dict:
    return yaml.safe_load(VALUES_FILE.read_text())


def test_the_charts_own_defaults_pass_its_schema():
    assert chart_errors({}) == []


def test_the_values_merged_over_the_charts_defaults_pass_its_schema(values):
    assert chart_errors(values) == []


def test_the_values_name_the_chart_version_of_the_schema():
    assert "--version 4.3.3" in VALUES_FILE.read_text()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("singleuser", "storage", "homeMountpath"), "/workspace", "Additional properties are not allowed"),
        (("cull", "timeout"), "an hour", "cull.timeout: 'an hour' is not of type 'integer'"),
        (("singleuser", "image", "pullPolicy"), "Sometimes", "singleuser.image.pullPolicy: 'Sometimes' is not one of"),
        (("singleuser", "uid"), "jovyan", "singleuser.uid: 'jovyan' is not of type"),
    ],
)
def test_a_misspelt_or_mistyped_chart_key_is_caught(values, path, value, expected):
    changed = copy.deepcopy(values)
    place = changed
    for key in path[:-1]:
        place = place.setdefault(key, {})
    place[path[-1]] = value
    assert any(expected in error for error in chart_errors(changed)), chart_errors(changed)


def test_helm_merge_keeps_the_charts_keys_replaces_lists_and_drops_nulls():
    defaults = {"a": {"b": 1, "c": [1, 2]}, "d": 3}
    assert helm_merge(defaults, {"a": {"c": [9]}, "d": None}) == {"a": {"b": 1, "c": [9]}}
    assert defaults == {"a": {"b": 1, "c": [1, 2]}, "d": 3}
