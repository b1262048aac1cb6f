"""Line protocol shared by the Python benchmark processes (same as the Node ones).

Every process writes single-line JSON events on stdout: servers print {"event": "ready", ...}
once they accept calls, and {"event": "exit", ...} with their resource usage when stdin closes;
clients print one {"event": "result", ...}. Diagnostics go to stderr.
"""

import json
import resource
import sys


def emit(event: str, **fields) -> None:
    """Write one JSON event line on stdout and flush it."""
    sys.stdout.write(json.dumps(dict(event=event, **fields)) + "\n")
    sys.stdout.flush()


def usage() -> dict:
    """Peak RSS (bytes; Linux reports ru_maxrss in KiB) and CPU seconds of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"maxRssBytes": ru.ru_maxrss * 1024, "cpuUserSeconds": ru.ru_utime, "cpuSystemSeconds": ru.ru_stime}


def fail(message: str) -> "NoReturn":  # noqa: F821 (typing only)
    """Report a fatal error on stderr and exit with status 1."""
    sys.stderr.write(message + "\n")
    sys.exit(1)
