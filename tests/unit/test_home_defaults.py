"""The image's default settings meet the user's own: what the user set or removed stays theirs, a default they never
changed follows the image, and a file the workspace cannot read as JSON is left alone."""

import json

from workbench.start.home import merge_json_defaults

OLD_IMAGE = {
    "workbench.colorTheme": "Default Dark Modern",
    "telemetry.telemetryLevel": "off",
    "workbench.startupEditor": "none",
    "update.mode": "none",
}
NEW_IMAGE = {
    "workbench.colorTheme": "Default Dark Modern",
    "telemetry.telemetryLevel": "off",
    "workbench.startupEditor": "welcomePage",
    "update.mode": "none",
    "editor.minimap.enabled": False,
}


def start(tmp_path, image_defaults, settings_text=None):
    defaults, settings, record = tmp_path / "defaults.json", tmp_path / "User" / "settings.json", tmp_path / "record"
    defaults.write_text(json.dumps(image_defaults))
    if settings_text is not None:
        settings.parent.mkdir(exist_ok=True)
        settings.write_text(settings_text)
    merge_json_defaults(settings, defaults, record)
    return settings


def test_a_first_start_writes_the_defaults(tmp_path):
    assert json.loads(start(tmp_path, OLD_IMAGE).read_text()) == OLD_IMAGE


def test_an_upgrade_keeps_the_users_values_and_brings_new_and_untouched_defaults(tmp_path):
    settings = start(tmp_path, OLD_IMAGE)
    mine = json.loads(settings.read_text())
    mine["workbench.colorTheme"] = "Default Light Modern"  # changed by the user
    del mine["update.mode"]  # removed by the user: VS Code's own default is what they want
    mine["editor.fontSize"] = 15  # their own
    settings.write_text(json.dumps(mine))
    start(tmp_path, NEW_IMAGE)
    assert json.loads(settings.read_text()) == {
        "workbench.colorTheme": "Default Light Modern",
        "telemetry.telemetryLevel": "off",
        "workbench.startupEditor": "welcomePage",  # never changed by the user: the new image's value
        "editor.fontSize": 15,
        "editor.minimap.enabled": False,
    }  # new in the image


def test_settings_the_user_never_touched_are_not_rewritten(tmp_path):
    settings = start(tmp_path, OLD_IMAGE)
    settings.write_text('{"workbench.colorTheme": "Default Light Modern"}\n')
    start(tmp_path, OLD_IMAGE)
    assert settings.read_text() == '{"workbench.colorTheme": "Default Light Modern"}\n'


def test_a_deleted_settings_file_starts_again_from_the_defaults(tmp_path):
    settings = start(tmp_path, OLD_IMAGE)
    settings.unlink()
    assert json.loads(start(tmp_path, NEW_IMAGE).read_text()) == NEW_IMAGE


def test_settings_with_comments_are_left_alone(tmp_path):
    text = '{\n  // my font\n  "editor.fontSize": 15,\n}\n'
    start(tmp_path, OLD_IMAGE)
    assert start(tmp_path, NEW_IMAGE, settings_text=text).read_text() == text
