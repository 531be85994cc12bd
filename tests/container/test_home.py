"""What a user configures survives re-creating the container on the same /workspace, also with a newer image: VS Code
(settings, keybindings, snippets, an installed extension), JupyterLab's settings, git, ~/.ssh, shell history and the
desktop programs' ~/.config; and a default of the new image that the user never changed is picked up."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import uuid
import zipfile

import pytest
import requests

from workbench.facts import catalogue, paths
from workbench_client import Workspace
from workspaces import TEST_LABELS, user_folder

pytestmark = pytest.mark.container

CODE_SERVER = "{node} {code_server}".format(**dict(catalogue.by_name("vscode").values))  # the image's code-server
VSCODE_USER = "/home/jovyan/.local/share/code-server/User"
EXTENSION_ID = "workbench-tests.kept-extension"
LAB_THEME = "lab/api/settings/@jupyterlab/apputils-extension:themes"
# The "upgrade": the next image changes a default the user never touched and adds one.
NEWER_DEFAULTS = {"workbench.startupEditor": "welcomePage", "editor.minimap.enabled": False}


def vsix() -> bytes:
    """The smallest VS Code extension package code-server installs: a manifest, its content types, a package.json."""
    package = {
        "name": "kept-extension",
        "publisher": "workbench-tests",
        "version": "1.0.0",
        "displayName": "Kept",
        "engines": {"vscode": "^1.60.0"},
        "contributes": {},
    }
    manifest = (
        '<?xml version="1.0" encoding="utf-8"?>\n<PackageManifest Version="2.0.0" '
        'xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">\n<Metadata><Identity Language="en-US" '
        'Id="kept-extension" Version="1.0.0" Publisher="workbench-tests"/><DisplayName>Kept</DisplayName>'
        '<Description xml:space="preserve">A test extension</Description></Metadata>\n<Installation>'
        '<InstallationTarget Id="Microsoft.VisualStudio.Code"/></Installation><Dependencies/>\n<Assets><Asset '
        'Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true"/></Assets>\n'
        "</PackageManifest>\n"
    )
    content_types = (
        '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
        '2006/content-types"><Default Extension=".json" ContentType="application/json"/><Default '
        'Extension=".vsixmanifest" ContentType="text/xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("extension.vsixmanifest", manifest)
        archive.writestr("extension/package.json", json.dumps(package))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def newer_image(docker_client, image):
    """The image with changed VS Code defaults, as the next release would ship them."""
    tag = f"workbench-test-newer:{uuid.uuid4().hex[:8]}"
    update = (
        f"import json; p = '{paths.INSTALL_DIR}/vscode/user-settings.json'; d = json.load(open(p)); "
        f"d.update({NEWER_DEFAULTS!r}); json.dump(d, open(p, 'w'))"
    )
    dockerfile = f'FROM {image}\nRUN python3 -c "{update}"\n'
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, labels=TEST_LABELS)
    yield tag
    docker_client.images.remove(tag, force=True)


def as_user(workspace: Workspace, command: str) -> str:
    result = workspace.container.exec_run(["bash", "-c", command], user="jovyan")
    assert result.exit_code == 0, result.output.decode()
    return result.output.decode()


def configure_everything(workspace: Workspace) -> None:
    settings = json.loads(as_user(workspace, f"cat {VSCODE_USER}/settings.json"))
    settings.update({"workbench.colorTheme": "Default Light Modern", "editor.fontSize": 17})
    as_user(workspace, f"cat > {VSCODE_USER}/settings.json <<'EOF'\n{json.dumps(settings)}\nEOF")
    as_user(
        workspace,
        f'echo \'[{{"key": "ctrl+k m", "command": "workbench.action.editor.changeLanguageMode"}}]\' '
        f"> {VSCODE_USER}/keybindings.json && mkdir -p {VSCODE_USER}/snippets && "
        f'echo \'{{"main": {{"prefix": "main", "body": "if __name__ == \\"__main__\\":"}}}}\' '
        f"> {VSCODE_USER}/snippets/python.json",
    )
    assert workspace.container.put_archive("/tmp", tar_of({"kept.vsix": vsix()}))
    as_user(workspace, f"{CODE_SERVER} --install-extension /tmp/kept.vsix")
    saved = requests.put(
        workspace.url + LAB_THEME,
        json={"raw": '{"theme": "JupyterLab Dark"}'},
        headers=workspace.auth_headers(),
        timeout=30,
    )
    assert saved.status_code == 204, saved.text
    as_user(
        workspace,
        "git config --global user.name 'Ada Lovelace' && mkdir -p ~/.ssh && "
        "printf 'Host lab\\n  HostName git.example.org\\n' > ~/.ssh/config && "
        "set -o history && HISTFILE=~/.bash_history && history -s 'echo kept-in-history' && "
        "history -a && mkdir -p ~/.config/some-desktop-app && echo 'zoom=2' > "
        "~/.config/some-desktop-app/settings.ini",
    )


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid, info.mode = len(data), 1000, 100, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_settings_survive_recreating_the_container_with_a_newer_image(workspaces, host_workspace, newer_image):
    first = workspaces.start(workspace_dir=host_workspace)
    configure_everything(first)
    first.container.remove(force=True)

    second = workspaces.start(workspace_dir=host_workspace, image=newer_image)
    settings = json.loads(as_user(second, f"cat {VSCODE_USER}/settings.json"))
    assert (settings["workbench.colorTheme"], settings["editor.fontSize"]) == ("Default Light Modern", 17)
    assert settings["workbench.startupEditor"] == "welcomePage"  # the user never changed it: the new default
    assert settings["editor.minimap.enabled"] is False  # new in the newer image
    assert "changeLanguageMode" in as_user(second, f"cat {VSCODE_USER}/keybindings.json")
    assert "__main__" in as_user(second, f"cat {VSCODE_USER}/snippets/python.json")
    assert EXTENSION_ID in as_user(second, f"{CODE_SERVER} --list-extensions").split()
    assert json.loads(second.get(LAB_THEME).json()["raw"])["theme"] == "JupyterLab Dark"
    assert as_user(second, "git config --global user.name") == "Ada Lovelace\n"
    assert "git.example.org" in as_user(second, "cat ~/.ssh/config")
    assert "echo kept-in-history" in as_user(second, "cat ~/.bash_history")
    assert as_user(second, "cat ~/.config/some-desktop-app/settings.ini") == "zoom=2\n"
    # Kept in the user's folder, private to them.
    kept = host_workspace / ".workbench" / "home"
    assert (kept / ".gitconfig").is_file() and (kept / ".ssh").stat().st_mode & 0o777 == 0o700


def test_a_mounted_dotfile_is_used_as_it_is(workspaces, host_workspace, tmp_path):
    mine = tmp_path / "gitconfig"
    mine.write_text("[user]\n\tname = From The Host\n")
    workspace = workspaces.start(
        workspace_dir=host_workspace, volumes_extra={str(mine): {"bind": "/home/jovyan/.gitconfig", "mode": "ro"}}
    )
    assert as_user(workspace, "git config --global user.name") == "From The Host\n"
    assert "~/.gitconfig is mounted" in workspace.logs()
    assert not (host_workspace / ".workbench" / "home" / ".gitconfig").exists()
    assert mine.read_text() == "[user]\n\tname = From The Host\n"


def test_a_contents_manager_configured_in_jupyters_home_config_is_the_one_used(workspaces, tmp_path):
    """The workspace puts its own contents manager in Jupyter's (workbench/server/uploads.py) only where the user set
    none: one set in ~/.jupyter is used. Jupyter's plain AsyncFileContentsManager knows no chunks and keeps only the
    last one it was sent; the workspace's would have put them together."""
    folder = user_folder(tmp_path)
    config = folder / ".workbench" / "home" / ".jupyter" / "jupyter_server_config.py"
    config.parent.mkdir(parents=True)
    config.write_text(
        'c.ServerApp.contents_manager_class = "jupyter_server.services.contents.filemanager.AsyncFileContentsManager"\n'
    )
    for made in (config, *config.parents[:3]):
        os.chown(made, 1000, 100)
    workspace = workspaces.start(workspace_dir=folder)
    for chunk, data in ((1, b"first "), (-1, b"last")):
        model = {"type": "file", "format": "base64", "content": base64.b64encode(data).decode(), "chunk": chunk}
        answer = requests.put(workspace.url + "api/contents/chunks.txt", json=model, headers=workspace.auth_headers())
        assert answer.status_code in (200, 201), answer.text
    assert (folder / "chunks.txt").read_bytes() == b"last"
