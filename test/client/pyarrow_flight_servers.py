"""pyarrow.flight servers for the client's tests: plain Flight services, not flight-cluster.

Usage::

    python test/client/pyarrow_flight_servers.py --servers N --endpoints E
        [--no-locations] [--fail-first TICKET:BATCHES ...] [--rows R]

Starts N pyarrow FlightServerBase servers on 127.0.0.1 (port 0) in this process, all
serving the same flight. GetFlightInfo (any descriptor) answers E endpoints; endpoint i
has ticket ``e<i>`` and lists every server's location, rotated by i (or no location at
all with --no-locations: the client must redeem it on the server it asked). DoGet of
``e<i>`` streams 5 record batches of R rows (default 500): ``id`` (int32) = i * 1_000_000 +
row number within the endpoint, ``value`` (float64) = id / 4.

--fail-first e2:3 makes the first DoGet of ticket e2 (on whichever server) send 3 batches
and then fail with FlightUnavailableError. pyarrow ignores unknown request headers, so a
resume on another server starts from the first batch again.

Prints one JSON line ``{"event":"listening","locations":[...]}`` and serves until stdin
closes.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl

BATCHES = 5
ROWS = 500
SCHEMA = pa.schema([("id", pa.int32()), ("value", pa.float64())])


def batch(endpoint: int, index: int, rows: int) -> pa.RecordBatch:
    start = endpoint * 1_000_000 + index * rows
    ids = pa.array(range(start, start + rows), pa.int32())
    values = pc.divide(ids.cast(pa.float64()), 4.0)
    return pa.record_batch([ids, values], schema=SCHEMA)


class Shared:
    """State shared by the servers of this process."""

    def __init__(self, endpoints: int, no_locations: bool, fail_first: dict[str, int], rows: int) -> None:
        self.endpoints = endpoints
        self.rows = rows
        self.no_locations = no_locations
        self.fail_first = fail_first
        self.locations: list[str] = []
        self.lock = threading.Lock()

    def take_failure(self, ticket: str) -> int | None:
        with self.lock:
            return self.fail_first.pop(ticket, None)


class Server(fl.FlightServerBase):
    def __init__(self, shared: Shared) -> None:
        super().__init__("grpc+tcp://127.0.0.1:0")
        self.shared = shared

    def get_flight_info(self, context, descriptor):
        shared = self.shared
        endpoints = []
        for i in range(shared.endpoints):
            if shared.no_locations:
                locations = []
            else:
                n = len(shared.locations)
                locations = [shared.locations[(i + k) % n] for k in range(n)]
            endpoints.append(fl.FlightEndpoint(f"e{i}".encode(), locations))
        rows = shared.endpoints * BATCHES * shared.rows
        return fl.FlightInfo(SCHEMA, descriptor, endpoints, rows, -1, ordered=True)

    def do_get(self, context, ticket):
        name = ticket.ticket.decode()
        if not name.startswith("e") or not name[1:].isdigit() or int(name[1:]) >= self.shared.endpoints:
            raise KeyError(f"unknown ticket {name}")
        endpoint = int(name[1:])
        fail_after = self.shared.take_failure(name)

        def batches():
            for index in range(BATCHES):
                if fail_after is not None and index >= fail_after:
                    raise fl.FlightUnavailableError(f"{name} fails after {fail_after} batches")
                yield batch(endpoint, index, self.shared.rows)

        return fl.GeneratorStream(SCHEMA, batches())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--endpoints", type=int, default=1)
    parser.add_argument("--no-locations", action="store_true")
    parser.add_argument("--fail-first", action="append", default=[])
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()
    fail_first = {}
    for item in args.fail_first:
        ticket, _, count = item.partition(":")
        fail_first[ticket] = int(count)
    shared = Shared(args.endpoints, args.no_locations, fail_first, args.rows)
    servers = [Server(shared) for _ in range(args.servers)]
    shared.locations = [f"grpc+tcp://127.0.0.1:{s.port}" for s in servers]
    sys.stdout.write(json.dumps({"event": "listening", "locations": shared.locations}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
