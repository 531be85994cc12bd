"""A plain ASGI app, no framework, told its public prefix (APP_PREFIX) as a built React/Vite app is told its `base`:
its page, its script and its websocket all use absolute URLs under the prefix, and anything else is a 404 that names
the path it got (what a proxy that strips the prefix would cause)."""

import os

PREFIX = os.environ["APP_PREFIX"].rstrip("/")
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plain ASGI app</title>
<script src="{PREFIX}/static/app.js"></script></head>
<body><h1>Plain ASGI app</h1><p id="status">the script did not run</p></body></html>
"""
SCRIPT = f"""
document.addEventListener("DOMContentLoaded", () => {{
  const status = document.getElementById("status");
  status.textContent = "the script ran";
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${{scheme}}://${{location.host}}{PREFIX}/ws`);
  socket.onopen = () => socket.send("ping from the page");
  socket.onmessage = (event) => {{ status.textContent = "echo: " + event.data; }};
  socket.onerror = () => {{ status.textContent = "the websocket failed"; }};
}});
"""
ROUTES = {f"{PREFIX}/": (PAGE, "text/html"), f"{PREFIX}/static/app.js": (SCRIPT, "text/javascript")}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": message["type"] + ".complete"})
        await send({"type": "lifespan.shutdown.complete"})
    elif scope["type"] == "websocket":
        await websocket_echo(scope, receive, send)
    else:
        body, content_type = ROUTES.get(scope["path"], (f"not found: {scope['path']}\n", "text/plain"))
        status = 200 if scope["path"] in ROUTES else 404
        headers = [(b"content-type", f"{content_type}; charset=utf-8".encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})


async def websocket_echo(scope, receive, send):
    if scope["path"] != f"{PREFIX}/ws":
        await send({"type": "websocket.close", "code": 4404})
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text") or ""})
        else:
            return
