"use strict";
// The landing page: tiles and service states from the authenticated status endpoint, refreshed live.
(function () {
  const STATUS_URL = "api/workbench/status";
  const REFRESH_MS = 5000;
  // How each state is shown (its dot's class and its words): the status endpoint says, from workbench/facts/tools.py.
  let states = {};

  // Logging in with ?token= already set the session cookie: keep the token out of history and bookmarks.
  if (new URLSearchParams(location.search).has("token")) {
    history.replaceState(null, "", location.pathname);
  }

  // Jupyter's own endpoints, called as JupyterLab calls them: with the XSRF token from Jupyter's _xsrf cookie, which
  // JupyterHub demands of every cookie-authenticated request that is not a page navigation.
  function xsrfToken() {
    const cookie = document.cookie.split("; ").find((entry) => entry.startsWith("_xsrf="));
    return cookie ? decodeURIComponent(cookie.slice("_xsrf=".length)) : (sshInfo && sshInfo.xsrf_token) || "";
  }

  function api(path, options) {
    const headers = { "X-XSRFToken": xsrfToken(), ...((options || {}).headers || {}) };
    return fetch(path, { credentials: "same-origin", cache: "no-store", ...options, headers });
  }

  // Refused: the login has expired. Opening the page again lets nginx send the browser to the right login (the
  // token's, or the hub's); once only, so that a refusal the login cannot cure does not reload forever.
  function logInAgain() {
    const marker = "workbench-login-retry";
    if (sessionStorage.getItem(marker) === location.pathname) {
      throw new Error("the workspace refused this page's requests (403); log in again");
    }
    sessionStorage.setItem(marker, location.pathname);
    location.assign(location.pathname);
  }

  function stateBadge(state, attributes) {
    const shown = states[state] || { class: "failed", label: state.toLowerCase() };
    return element("span", { class: `state ${shown.class}`, ...(attributes || {}) }, shown.label);
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderTiles(tools) {
    const container = document.getElementById("tiles");
    container.replaceChildren(...tools.map((tool) => {
      const tile = element("a", { class: "tile", href: tool.path, "data-tool": tool.name, target: "_blank", rel: "noopener" });
      const top = element("div", { class: "top" });
      // A mask, so that the icon takes the page's colour as an inline SVG would.
      const icon = element("span", { class: "icon", "aria-hidden": "true" });
      const iconUrl = `url("${new URL(tool.icon, document.baseURI)}")`;
      icon.style.maskImage = iconUrl;
      icon.style.webkitMaskImage = iconUrl;
      top.append(icon, stateBadge(tool.state, { "data-state": tool.state }));
      tile.append(top, element("h3", {}, tool.title), element("p", {}, tool.description));
      return tile;
    }));
  }

  function formatUptime(seconds) {
    if (!seconds) return "–";
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600), m = Math.floor(seconds % 3600 / 60);
    return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m` : `${seconds}s`;
  }

  function renderServices(services) {
    document.querySelector("#services tbody").replaceChildren(...services.map((service) => {
      const row = element("tr", { "data-service": service.name });
      const stateCell = element("td");
      stateCell.append(stateBadge(service.state));
      row.append(element("td", {}, service.name), stateCell, element("td", {}, formatUptime(service.uptime_seconds)));
      return row;
    }));
  }

  function formatBytes(bytes) {
    const units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
  }

  function showMeter(name, percent, value, detail) {
    const meter = document.querySelector(`.meter[data-resource="${name}"]`);
    meter.querySelector(".value").textContent = value;
    meter.querySelector(".detail").textContent = detail;
    const bar = meter.querySelector(".bar div");
    const shown = percent === null ? 0 : Math.min(100, percent);
    bar.style.width = `${shown}%`;
    bar.className = shown >= 90 ? "full" : shown >= 70 ? "high" : "";
  }

  function renderResources(resources) {
    if (!resources) return;
    const { cpu, memory, disk } = resources;
    const cores = `${Number(cpu.cores.toFixed(2))} CPU${cpu.cores === 1 ? "" : "s"}`;
    showMeter("cpu", cpu.percent, cpu.percent === null ? "measuring…" : `${cpu.percent.toFixed(0)}%`, cores);
    if (memory) {
      const percent = 100 * memory.used / memory.limit;
      showMeter("memory", percent, `${percent.toFixed(0)}%`, `${formatBytes(memory.used)} of ${formatBytes(memory.limit)}`);
    }
    if (disk) {
      const percent = 100 * disk.used / disk.total;
      showMeter("disk", percent, `${percent.toFixed(0)}%`,
                `${formatBytes(disk.total - disk.used)} free of ${formatBytes(disk.total)}`);
    }
    const meters = document.getElementById("resources");
    meters.querySelectorAll(".meter.gpu").forEach((meter) => meter.remove());
    (resources.gpus || []).forEach((gpu, index) => {
      const meter = element("div", { class: "meter gpu", "data-resource": `gpu${index}` });
      meter.append(element("span", { class: "label" }, `GPU ${index}`), element("span", { class: "value" }),
                   element("div", { class: "bar" }), element("span", { class: "detail muted" }));
      meter.querySelector(".bar").append(element("div"));
      meters.append(meter);
      showMeter(`gpu${index}`, gpu.percent, `${gpu.percent}%`,
                `${gpu.name}: ${formatBytes(gpu.memory_used)} of ${formatBytes(gpu.memory_total)}`);
    });
  }

  function renderFailedHooks(failed) {
    const notice = document.getElementById("hook-failures");
    notice.hidden = failed.length === 0;
    notice.textContent = failed.length === 0 ? "" :
      `A start hook failed: ${failed.join(", ")}. The workspace started without what it does; the container's log ` +
      "(docker logs) has its output.";
  }

  async function refresh() {
    const error = document.getElementById("status-error");
    try {
      const response = await api(STATUS_URL);
      if (response.status === 403 || response.status === 401) {
        logInAgain();
        return;
      }
      if (!response.ok) throw new Error(`status endpoint answered ${response.status}`);
      sessionStorage.removeItem("workbench-login-retry");
      const status = await response.json();
      states = status.states;
      renderTiles(status.tools);
      renderServices(status.services);
      renderResources(status.resources);
      document.getElementById("version").textContent = status.version;
      document.getElementById("user").textContent = status.user;
      error.hidden = !status.error;
      error.textContent = status.error || "";
      renderFailedHooks(status.failed_hooks || []);
    } catch (problem) {
      error.hidden = false;
      error.textContent = `Cannot read the workspace status: ${problem.message}`;
    }
  }

  // SSH: the one-line setup command for this browser's address, and the keys allowed to log in.
  let sshInfo = null;

  async function refreshSsh() {
    try {
      if (!sshInfo) {
        const response = await api("api/workbench/ssh/info");
        if (!response.ok) return;
        sshInfo = await response.json();
        const base = location.origin + location.pathname.replace(/[^/]*$/, "");
        const hubToken = sshInfo.hub_token_url && !sshInfo.token;
        const token = hubToken ? "YOUR_HUB_TOKEN" : sshInfo.token;
        const auth = token ? `-H "Authorization: token ${token}" ` : "";
        document.getElementById("ssh-hub-token").hidden = !hubToken;
        if (hubToken) document.getElementById("ssh-hub-token-link").href = sshInfo.hub_token_url;
        // A self-signed certificate cannot be checked the first time (-k); the script pins it for what follows.
        const insecure = sshInfo.self_signed_tls ? "k" : "";
        document.getElementById("ssh-command").textContent =
          `curl -fsS${insecure} ${auth}"${base}${sshInfo.setup_path}" | sh`;
        document.getElementById("ssh-alias").textContent = sshInfo.alias;
      }
      const keys = await (await api("api/workbench/ssh/keys")).json();
      document.querySelector("#ssh-keys tbody").replaceChildren(...keys.keys.map((key) => {
        const row = element("tr", { "data-fingerprint": key.fingerprint });
        const action = element("td");
        if (key.source === "workspace") {
          const revoke = element("button", { type: "button" }, "Revoke");
          revoke.addEventListener("click", () => revokeKey(key));
          action.append(revoke);
        }
        const fingerprint = element("td");
        fingerprint.append(element("code", {}, key.fingerprint));
        row.append(element("td", {}, key.name), fingerprint, element("td", {}, key.source), action);
        return row;
      }));
    } catch (problem) {
      // The status refresh reports a workspace that cannot be reached.
    }
  }

  async function revokeKey(key) {
    if (!confirm(`Revoke the key "${key.name}"? Clients using it can no longer log in.`)) return;
    await api(`api/workbench/ssh/keys/${encodeURIComponent(key.fingerprint)}`, { method: "DELETE" });
    refreshSsh();
  }

  // navigator.clipboard exists only in a secure context (HTTPS, or localhost); opened as http://server:8080 the page
  // copies the way browsers allowed before it: a selected text and the copy command, in the click's own turn.
  async function copyText(text) {
    if (window.isSecureContext && navigator.clipboard) {
      try {
        await navigator.clipboard.writeText(text);
        return;
      } catch (refused) {
        // A page that is not focused, or a browser that asks first: the older way below still works.
      }
    }
    const holder = element("textarea", { readonly: "", "aria-hidden": "true", class: "copy-holder" });
    holder.value = text;
    document.body.append(holder);
    holder.select();
    try {
      if (!document.execCommand("copy")) throw new Error("the browser refused to copy");
    } finally {
      holder.remove();
    }
  }

  const copyButton = document.getElementById("ssh-copy");
  copyButton.addEventListener("click", async () => {
    try {
      await copyText(document.getElementById("ssh-command").textContent);
      copyButton.textContent = "Copied";
    } catch (problem) {
      copyButton.textContent = "Select and copy it";
    }
    setTimeout(() => { copyButton.textContent = "Copy"; }, 2000);
  });

  // Opened over plain HTTP from another machine, the browser keeps back what it gives secure pages only: say what
  // that costs here and how to get it back, once, at the top.
  document.getElementById("insecure-context").hidden = window.isSecureContext;

  refresh();
  refreshSsh();
  setInterval(refresh, REFRESH_MS);
  setInterval(refreshSsh, 4 * REFRESH_MS);
})();
