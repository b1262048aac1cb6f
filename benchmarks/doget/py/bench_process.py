"""Line protocol shared by the Python benchmark processes (same as the Node ones).

Every process writes single-line JSON events on stdout: servers print {"event": "ready", ...}
once they accept calls, and {"event": "exit", ...} with their resource usage when stdin closes;
clients print one {"event": "result", ...}. Diagnostics go to stderr.
"""

import json
import os
import resource
import sys


def emit(event: str, **fields) -> None:
    """Write one JSON event line on stdout and flush it."""
    sys.stdout.write(json.dumps(dict(event=event, **fields)) + "\n")
    sys.stdout.flush()


def run_queue_wait_seconds():
    """Seconds this process's live threads waited for a CPU (Linux schedstat), or None elsewhere."""
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return None
    nanos = 0
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                nanos += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass  # the thread exited while we listed them
    return nanos / 1e9


def peak_rss_bytes(ru) -> int:
    """Peak RSS in bytes: VmHWM from /proc/self/status on Linux, because ru_maxrss survives execve
    (a child reports at least its parent's RSS at fork); ru_maxrss (KiB on Linux) elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return ru.ru_maxrss * 1024


def usage() -> dict:
    """Peak RSS (bytes), CPU seconds and run-queue wait of this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    result = {"maxRssBytes": peak_rss_bytes(ru), "cpuUserSeconds": ru.ru_utime, "cpuSystemSeconds": ru.ru_stime}
    wait = run_queue_wait_seconds()
    if wait is not None:
        result["runQueueWaitSeconds"] = wait
    return result


def fail(message: str) -> "NoReturn":  # noqa: F821 (typing only)
    """Report a fatal error on stderr and exit with status 1."""
    sys.stderr.write(message + "\n")
    sys.exit(1)
