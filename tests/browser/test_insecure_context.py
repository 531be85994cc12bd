"""Opened from another machine: as http://server:8080 the browser treats the workspace as an insecure context (no
clipboard API, no service workers), as https://server:8080 as a secure one. A host name that is not localhost, mapped
to this machine by Chromium itself, makes either here."""

import base64
import hashlib
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Error as PlaywrightError

from browsers import launch, log_in
from workbench.facts import paths
from workbench.start import tls
from workbench_client import Workspace, free_port, wait_until
from workspaces import user_folder

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
HOST = "wb.test"
NOTICE = "#insecure-context"
PREVIEWED = "NOTES.md"


def spki_hash(pem: bytes) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list names a certificate by: its public key's SHA-256."""
    key = x509.load_pem_x509_certificate(pem).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture(scope="module")
def https_workspace(docker_client, image, tmp_path_factory):
    """Started as the README says for a browser on another machine: python3 build.py run --https."""
    folder = user_folder(tmp_path_factory.mktemp("https"))
    (folder / PREVIEWED).write_text("# Preview heading\n\nThe preview says **forty-two**.\n")
    name, port = f"workbench-test-https-{uuid.uuid4().hex[:8]}", free_port()
    command = [sys.executable, str(ROOT / "build.py"), "run", "--https", "--name", name, "--port", str(port)]
    command += ["--workspace", str(folder), "--image", image]
    try:
        started = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert started.returncode == 0, started.stdout + started.stderr
        url = re.search(r"Open: (https://localhost:\d+/\?token=(\S+))", started.stdout)
        assert url, started.stdout
        workspace = Workspace(docker_client.containers.get(name), scheme="https", token=url.group(2))
        # build.py says where the self-signed certificate is kept: the test accepts exactly that one.
        workspace.certificate = (folder / tls.SELF_SIGNED_CERT.relative_to(paths.WORKSPACE_DIR)).read_bytes()
        yield workspace
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@pytest.fixture(scope="module")
def remote_browser(playwright_driver, https_workspace):
    """Chromium on "another machine": wb.test is this one, and the HTTPS workspace's certificate is accepted."""
    browser = launch(
        playwright_driver,
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki_hash(https_workspace.certificate)}",
    )
    yield browser
    browser.close()


def remote_url(workspace, scheme: str = "http") -> str:
    return f"{scheme}://{HOST}:{workspace.host_port}/"


def page_errors(page) -> list[str]:
    """Uncaught errors and console errors of the page, gathered while the test runs."""
    errors = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    return errors


def copy_and_read_back(page, context, secure_origin: str) -> str:
    """Click Copy, then read the clipboard as a page of a secure origin can: what a paste would give."""
    page.bring_to_front()  # as the tab a person clicks in is
    page.click("#ssh-copy")
    page.wait_for_function("document.getElementById('ssh-copy').textContent === 'Copied'")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=secure_origin)
    reader = context.new_page()
    reader.goto(f"{secure_origin}/healthz")
    pasted = reader.evaluate("navigator.clipboard.readText()")
    reader.close()
    return pasted


def test_over_plain_http_from_another_machine_copy_works_and_a_notice_says_what_https_adds(
    workspace, remote_browser, contexts, screenshot
):
    context = contexts.open(remote_browser)
    page = context.new_page()
    errors = page_errors(page)
    # Not logged in: the door's login page, in the same insecure context.
    page.goto(remote_url(workspace))
    page.wait_for_selector("#password_input")
    page.goto(f"{remote_url(workspace)}?token={workspace.token}")
    page.wait_for_function("document.getElementById('ssh-command').textContent.startsWith('curl ')")
    assert page.evaluate("window.isSecureContext") is False
    notice = page.wait_for_selector(NOTICE, state="visible")
    text = notice.inner_text()
    assert "VS Code shows no webviews" in text and "WORKSPACE_SSL_ENABLED=true" in text, text
    assert "python3 build.py run --https" in text and "ssh -L 8080:localhost:8080" in text, text
    command = page.inner_text("#ssh-command")
    assert command.startswith(f'curl -fsS -H "Authorization: token {workspace.token}" "http://{HOST}:')
    screenshot(page, "notice")
    assert copy_and_read_back(page, context, f"http://localhost:{workspace.host_port}") == command
    assert errors == []


def test_on_localhost_there_is_no_notice_and_copy_uses_the_clipboard(workspace, page):
    errors = page_errors(page)
    log_in(page, workspace)
    page.wait_for_function("document.getElementById('ssh-command').textContent.startsWith('curl ')")
    assert page.evaluate("window.isSecureContext") is True
    assert page.is_hidden(NOTICE)
    command = page.inner_text("#ssh-command")
    assert copy_and_read_back(page, page.context, workspace.url.rstrip("/")) == command
    assert errors == []


def test_over_https_from_another_machine_vscode_shows_a_markdown_preview(
    https_workspace, remote_browser, contexts, screenshot
):
    context = contexts.open(remote_browser)
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{remote_url(https_workspace, 'https')}?token={https_workspace.token}")
    page.wait_for_function("document.getElementById('ssh-command').textContent.startsWith('curl -fsSk ')")
    assert page.evaluate("window.isSecureContext") is True and page.is_hidden(NOTICE)
    command = page.inner_text("#ssh-command")
    assert copy_and_read_back(page, context, remote_url(https_workspace, "https").rstrip("/")) == command
    assert errors == []

    vscode = context.new_page()
    vscode.goto(f"{remote_url(https_workspace, 'https')}tools/vscode/?folder=/workspace")
    vscode.wait_for_selector(".monaco-workbench", timeout=150_000)
    run_command(vscode, "Control+p", PREVIEWED, PREVIEWED)
    vscode.wait_for_selector(f'.tab[data-resource-name="{PREVIEWED}"]', timeout=30_000)
    run_command(vscode, "F1", "Markdown: Open Preview to the Side", "Markdown: Open Preview to the Side")

    def preview():
        # The preview is a webview: frames within frames, served through VS Code's service worker.
        for frame in vscode.frames[1:]:
            try:
                if frame.query_selector("strong:text-is('forty-two')"):
                    return frame
            except PlaywrightError:  # a frame VS Code replaced meanwhile
                pass
        return None

    frame = wait_until(preview, 90, 0.5, failure=lambda: f"no preview; frames: {[f.url for f in vscode.frames]}")
    assert frame.inner_text("h1") == "Preview heading"
    wait_until(
        lambda: any("/webview/browser/pre/service-worker.js" in worker.url for worker in context.service_workers),
        30,
        0.5,
        failure=lambda: f"service workers: {[worker.url for worker in context.service_workers]}",
    )
    screenshot(vscode, "markdown-preview")


def run_command(page, keys: str, typed: str, choice: str, timeout: float = 150) -> None:
    """VS Code's quick input as a person uses it: open it, type, take the entry once offered. A command comes with its
    extension, which a VS Code starting for the first time may not have loaded yet: until it is offered, close the
    input and ask again, as a person would."""
    entry = f'.quick-input-list .monaco-list-row:has-text("{choice}")'

    def offered() -> bool:
        page.keyboard.press("Escape")
        page.keyboard.press(keys)
        page.wait_for_selector(".quick-input-widget input", state="visible")
        page.keyboard.type(typed)
        try:
            page.wait_for_selector(entry, timeout=10_000)
        except PlaywrightError:
            return False
        return True

    wait_until(
        offered, timeout, 0.5, failure=lambda: f"{choice!r} is not offered: {page.inner_text('.quick-input-widget')}"
    )
    page.keyboard.press("Enter")
