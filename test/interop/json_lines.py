"""JSON-lines plumbing shared by the interop peers (pyarrow server and client driver).

Each peer writes exactly one JSON object per line on stdout; the TypeScript test
kit reads those lines (the first one is the ready signal). Diagnostics go to
stderr, which the kit shows when a test fails.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Callable


def emit(obj: dict[str, object]) -> None:
    """Write one JSON object as one line on stdout and flush it."""
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def describe_exception(error: BaseException) -> dict[str, object]:
    """An exception as JSON facts: its class, the classes it derives from, and its message."""
    cls = type(error)
    return {
        "type": cls.__name__,
        "module": cls.__module__,
        "bases": [f"{k.__module__}.{k.__name__}" for k in cls.__mro__],
        "message": str(error),
    }


def text_or_base64(data: bytes | None) -> dict[str, str] | None:
    """Bytes as ``{"utf8": ...}`` when they decode as UTF-8, else ``{"base64": ...}``."""
    if data is None:
        return None
    try:
        return {"utf8": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def on_stdin_closed(callback: Callable[[], None]) -> None:
    """Call ``callback`` (from a daemon thread) when stdin reaches end of file.

    The test kit keeps the child's stdin open; if the parent dies, the pipe
    closes and the child stops instead of lingering on its port.
    """

    def watch() -> None:
        while sys.stdin.readline():
            pass
        callback()

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
