"""pyarrow scenarios of the client benchmark: (c) loop over the endpoints, (d) a thread pool.

    python pyarrow_fetch.py --planner URI --dataset NAME --mode loop|threads [--threads N]

A pass is what a pyarrow user writes to read a flight: get_flight_info(for_path(dataset)),
then for every endpoint do_get(ticket) at its first location (the planner lists the best one
first) and read_all(). (c) reads the endpoints one after another; (d) submits one task per
endpoint to a ThreadPoolExecutor of N threads (default: one per endpoint). Connections are
made once per location and reused across passes (the strongest form of the baseline; a fresh
flight.connect per endpoint would add a handshake per endpoint). Each read table has one
value read at both ends of every batch, as the Node scenarios do.

Line protocol (benchmarks/client/scenario-output.ts): prints {"event": "ready"}, answers each
stdin line "pass" with one pass and a line {"event": "pass", ...}, and "end" (or the end of
stdin) with {"event": "result", "maxRssBytes": N}. Every pass must return exactly the
FlightInfo's total_records rows, or the process exits 1.
"""

import argparse
import json
import os
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow.flight as flight


def run_queue_wait_seconds() -> float:
    """Seconds this process's threads have waited for a CPU (Linux schedstat); 0 elsewhere."""
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return 0.0
    nanos = 0
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                nanos += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass  # the thread exited while we listed them
    return nanos / 1e9


def emit(event: str, **fields) -> None:
    sys.stdout.write(json.dumps(dict(event=event, **fields)) + "\n")
    sys.stdout.flush()


class Connections:
    """One FlightClient per location URI, made on first use (thread-safe)."""

    def __init__(self, origin: flight.FlightClient, origin_uri: str):
        self._lock = threading.Lock()
        self._clients = {}
        self.origin = origin
        self.origin_uri = origin_uri

    def for_endpoint(self, endpoint):
        if not endpoint.locations:
            return self.origin, self.origin_uri
        uri = endpoint.locations[0].uri
        uri = uri.decode() if isinstance(uri, bytes) else uri
        if uri.startswith("arrow-flight-reuse-connection:"):
            return self.origin, self.origin_uri
        with self._lock:
            client = self._clients.get(uri)
            if client is None:
                client = self._clients[uri] = flight.connect(uri)
        return client, uri

    def close(self):
        for client in self._clients.values():
            client.close()
        self.origin.close()


def read_endpoint(connections: Connections, endpoint):
    client, uri = connections.for_endpoint(endpoint)
    table = client.do_get(endpoint.ticket).read_all()
    checksum = 0
    for batch in table.to_batches():
        if batch.num_rows > 0:
            checksum ^= batch.column(0)[0].as_py() ^ batch.column(batch.num_columns - 1)[batch.num_rows - 1].as_py()
    return uri, table.num_rows, len(table.to_batches()), checksum


def run_pass(connections: Connections, dataset: str, mode: str, pool):
    before = resource.getrusage(resource.RUSAGE_SELF)
    wait_before = run_queue_wait_seconds()
    started = time.perf_counter()
    info = connections.origin.get_flight_info(flight.FlightDescriptor.for_path(dataset))
    endpoints = list(info.endpoints)
    if mode == "loop":
        results = [read_endpoint(connections, endpoint) for endpoint in endpoints]
    else:
        results = list(pool.map(lambda endpoint: read_endpoint(connections, endpoint), endpoints))
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    waited = run_queue_wait_seconds() - wait_before
    rows = sum(r[1] for r in results)
    if rows != info.total_records:
        raise RuntimeError(f"a pass read {rows} rows, the FlightInfo says {info.total_records}")
    locations = {}
    checksum = 0
    for uri, _, _, value in results:
        locations[uri] = locations.get(uri, 0) + 1
        checksum ^= value
    return {
        "seconds": seconds,
        "rows": rows,
        "bytes": info.total_bytes,
        "batches": sum(r[2] for r in results),
        "endpoints": len(endpoints),
        "locations": locations,
        "checksum": format(checksum & 0xFFFFFFFFFFFFFFFF, "x"),
        "cpuSeconds": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "runQueueWaitSeconds": waited,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--planner", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--mode", choices=["loop", "threads"], required=True)
    parser.add_argument("--threads", type=int, default=0, help="pool size (0: one per endpoint)")
    args = parser.parse_args()
    connections = Connections(flight.connect(args.planner), args.planner)
    threads = args.threads
    if threads <= 0:
        info = connections.origin.get_flight_info(flight.FlightDescriptor.for_path(args.dataset))
        threads = max(1, len(info.endpoints))
    pool = ThreadPoolExecutor(max_workers=threads) if args.mode == "threads" else None
    emit("ready", threads=threads)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "pass":
                emit("pass", **run_pass(connections, args.dataset, args.mode, pool))
            elif command == "end":
                break
            elif command:
                raise RuntimeError(f"unknown command {command}")
    finally:
        if pool is not None:
            pool.shutdown()
        connections.close()
    emit("result", maxRssBytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as error:  # noqa: BLE001 (report any failure as one line, exit 1)
        sys.stderr.write(f"pyarrow_fetch failed: {error!r}\n")
        sys.exit(1)
