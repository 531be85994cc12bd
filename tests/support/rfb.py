"""A minimal RFB (VNC) client over the desktop's websocket: enough to check what a VNC viewer would see at
connect time (protocol version, desktop size and name) and to exchange clipboard text."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

import websocket

FRAMEBUFFER_UPDATE = 0
SERVER_CUT_TEXT = 3
SET_ENCODINGS = 2
FRAMEBUFFER_UPDATE_REQUEST = 3
CLIENT_CUT_TEXT = 6
SECURITY_NONE = 1
RAW_ENCODING = 0


@dataclass
class Desktop:
    width: int
    height: int
    name: str
    bytes_per_pixel: int = 4


class RfbSession:
    def __init__(self, channel: websocket.WebSocket):
        self.channel, self.buffer = channel, b""

    def read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            self.buffer += self.channel.recv()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def handshake(self) -> Desktop:
        version = self.read(12)
        assert version == b"RFB 003.008\n", version
        self.channel.send_binary(version)
        (count,) = struct.unpack("B", self.read(1))
        types = self.read(count)
        assert SECURITY_NONE in types, f"the server asks for a password (security types {list(types)})"
        self.channel.send_binary(bytes([SECURITY_NONE]))
        assert struct.unpack(">I", self.read(4))[0] == 0, "security handshake failed"
        self.channel.send_binary(b"\x01")  # shared: do not disconnect other viewers
        width, height = struct.unpack(">HH", self.read(4))
        bits_per_pixel = self.read(16)[0]  # the pixel format's first field
        (name_length,) = struct.unpack(">I", self.read(4))
        return Desktop(width, height, self.read(name_length).decode(), bits_per_pixel // 8)

    def pixels(self, desktop: Desktop, width: int, height: int) -> bytes:
        """The pixels of the top-left width x height area, in the server's pixel format, as one raw update."""
        self.channel.send_binary(struct.pack(">BxHi", SET_ENCODINGS, 1, RAW_ENCODING))
        self.channel.send_binary(struct.pack(">BBHHHH", FRAMEBUFFER_UPDATE_REQUEST, 0, 0, 0, width, height))
        (kind,) = struct.unpack("B", self.read(1))
        assert kind == FRAMEBUFFER_UPDATE, f"unexpected server message type {kind}"
        (rectangles,) = struct.unpack(">xH", self.read(3))
        data = b""
        for _ in range(rectangles):
            _, _, rect_width, rect_height, encoding = struct.unpack(">HHHHi", self.read(12))
            assert encoding == RAW_ENCODING, encoding
            data += self.read(rect_width * rect_height * desktop.bytes_per_pixel)
        return data

    def send_clipboard(self, text: str) -> None:
        data = text.encode("latin-1")
        self.channel.send_binary(struct.pack(">B3xI", CLIENT_CUT_TEXT, len(data)) + data)

    def receive_clipboard(self, timeout: float = 30) -> str:
        """Skip the other server messages until the server sends its clipboard text."""
        deadline = time.monotonic() + timeout
        self.channel.settimeout(timeout)
        while time.monotonic() < deadline:
            (kind,) = struct.unpack("B", self.read(1))
            if kind == SERVER_CUT_TEXT:
                self.read(3)
                (length,) = struct.unpack(">I", self.read(4))
                return self.read(length).decode("latin-1")
            raise AssertionError(f"unexpected server message type {kind} before any clipboard text")
        raise AssertionError("no clipboard text from the server")
