"""How one environment value is checked: the error every bad value raises, and the parsers that settings.py and the
tools' own settings (tools.py) share."""

from __future__ import annotations

import re

BOOLEAN_WORDS = {
    "yes": True,
    "true": True,
    "1": True,
    "on": True,
    "no": False,
    "false": False,
    "0": False,
    "off": False,
}
# Xvnc's own limits are wider; beyond these a desktop is unusable or noVNC cannot draw it.
MIN_SCREEN_SIDE, MAX_SCREEN_SIDE = 320, 8192


class ConfigError(Exception):
    """One line that names the variable, the value and what is allowed."""

    def __init__(self, variable: str, value: str, allowed: str):
        super().__init__(f"{variable}={value!r} is not valid: {allowed}")
        self.variable, self.value, self.allowed = variable, value, allowed


def parse_int(name: str, raw: str, low: int, high: int, what: str = "") -> int:
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise ConfigError(name, raw, f"must be a whole number from {low} to {high}{what}")
    return int(raw)


def parse_bool(name: str, raw: str) -> bool:
    try:
        return BOOLEAN_WORDS[raw.lower()]
    except KeyError:
        raise ConfigError(name, raw, "must be yes or no (also accepted: true/false, 1/0, on/off)") from None


def parse_directory(name: str, raw: str) -> str:
    if not raw.startswith("/") or not raw.isprintable() or "/../" in raw + "/":
        raise ConfigError(name, raw, "must be an absolute path inside the container, e.g. /workspace/logs")
    return raw


def parse_screen_size(name: str, raw: str) -> str:
    match = re.fullmatch(r"([0-9]{3,4})x([0-9]{3,4})", raw)
    if not match or not all(MIN_SCREEN_SIDE <= int(side) <= MAX_SCREEN_SIDE for side in match.groups()):
        raise ConfigError(
            name,
            raw,
            f"must be WIDTHxHEIGHT in pixels, each from {MIN_SCREEN_SIDE} to {MAX_SCREEN_SIDE}, e.g. 1600x900",
        )
    return raw
