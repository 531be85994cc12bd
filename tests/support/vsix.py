"""A small real VS Code extension packed as a .vsix on the spot: once active, it shows a status bar item."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

PUBLISHER, NAME, VERSION = "workbench-tests", "hello-status", "1.0.0"
EXTENSION_ID = f"{PUBLISHER}.{NAME}"
STATUS_TEXT = "Hello from a .vsix"

PACKAGE = {
    "name": NAME,
    "displayName": "Hello status",
    "description": "Shows a status bar item once VS Code has started it",
    "publisher": PUBLISHER,
    "version": VERSION,
    "engines": {"vscode": "^1.80.0"},
    "activationEvents": ["onStartupFinished"],
    "main": "./extension.js",
    "categories": ["Other"],
}
EXTENSION_JS = f"""const vscode = require("vscode");
exports.activate = (context) => {{
  const item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 1000);
  item.text = {json.dumps(STATUS_TEXT)};
  item.show();
  context.subscriptions.push(item);
}};
exports.deactivate = () => {{}};
"""
MANIFEST = f"""<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="{NAME}" Version="{VERSION}" Publisher="{PUBLISHER}" />
    <DisplayName>{PACKAGE["displayName"]}</DisplayName>
    <Description xml:space="preserve">{PACKAGE["description"]}</Description>
    <Categories>Other</Categories>
    <Properties><Property Id="Microsoft.VisualStudio.Code.Engine" Value="{PACKAGE["engines"]["vscode"]}" /></Properties>
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code" /></Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
  </Assets>
</PackageManifest>
"""
CONTENT_TYPES = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" />
  <Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
</Types>
"""


def make_vsix(folder: Path) -> Path:
    vsix = folder / f"{EXTENSION_ID}-{VERSION}.vsix"
    with zipfile.ZipFile(vsix, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("extension.vsixmanifest", MANIFEST)
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("extension/package.json", json.dumps(PACKAGE, indent=2))
        archive.writestr("extension/extension.js", EXTENSION_JS)
    return vsix
