"""A pyarrow.flight client driving the cluster tests: what a Python user of the cluster does.

Every subcommand prints one JSON document on its last stdout line; the TypeScript tests
assert on it. Tables are deterministic functions of (rows, seed), so a reader can rebuild
the expected data without it ever crossing the process boundary.

    python test/cluster/cluster_client.py put --uri grpc+tcp://127.0.0.1:8815 --dataset t --rows 1000000
    python test/cluster/cluster_client.py verify --uri ... --dataset t --rows 1000000
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight

ZONE_HEADER = b"x-flight-zone"


# ---------------------------------------------------------------------------
# Data


def make_table(rows: int, seed: int) -> pa.Table:
    """The test table: id, key (string), qty (int32), value (float64 with nulls), flag (bool)."""
    ids = np.arange(rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(rows)
    qty = rng.integers(0, 1000, rows, dtype=np.int32)
    keys = pc.binary_join_element_wise(pa.scalar("key-"), pc.cast(pa.array(ids % 9973), pa.string()), "")
    return pa.table(
        {
            "id": pa.array(ids),
            "key": keys,
            "qty": pa.array(qty),
            "value": pa.array(values, mask=(ids % 17 == 0)),
            "flag": pa.array(ids % 3 == 0),
        }
    )


def project(table: pa.Table, columns: str | None) -> pa.Table:
    """The planner's projection: the named columns, in the dataset's schema order."""
    if not columns:
        return table
    wanted = set(columns.split(","))
    return table.select([name for name in table.column_names if name in wanted])


def call_options(zone: str | None, timeout: float = 120.0) -> flight.FlightCallOptions:
    headers = [(ZONE_HEADER, zone.encode())] if zone else []
    return flight.FlightCallOptions(headers=headers, timeout=timeout)


def attempt(fn: Callable[[], object]) -> dict:
    """Run fn; report its result or the exception class and message (what a user would see)."""
    try:
        value = fn()
        return {"ok": True, "value": value}
    except Exception as error:  # noqa: BLE001 - the class is the result
        return {"ok": False, "error_class": type(error).__name__, "message": str(error)}


def uri_of(location: flight.Location) -> str:
    uri = location.uri
    return uri.decode() if isinstance(uri, bytes) else uri


class Clients:
    """One client per location, closed at exit."""

    def __init__(self) -> None:
        self.clients: dict[str, flight.FlightClient] = {}

    def get(self, uri: str) -> flight.FlightClient:
        if uri not in self.clients:
            self.clients[uri] = flight.connect(uri)
        return self.clients[uri]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def endpoint_json(endpoint: flight.FlightEndpoint) -> dict:
    expiration = endpoint.expiration_time
    meta = endpoint.app_metadata
    try:
        parsed = json.loads(meta) if meta else None
    except ValueError:
        parsed = {"raw": base64.b64encode(meta).decode()}
    return {
        "ticket": base64.b64encode(endpoint.ticket.ticket).decode(),
        "locations": [uri_of(loc) for loc in endpoint.locations],
        "expiration_ms": None if expiration is None else expiration.value // 1_000_000,
        "app_metadata": parsed,
    }


def info_json(info: flight.FlightInfo) -> dict:
    return {
        "total_records": info.total_records,
        "total_bytes": info.total_bytes,
        "ordered": info.ordered,
        "schema": info.schema.names,
        "endpoints": [endpoint_json(e) for e in info.endpoints],
    }


def descriptor_of(args: argparse.Namespace) -> flight.FlightDescriptor:
    if getattr(args, "columns", None):
        body = json.dumps({"dataset": args.dataset, "columns": args.columns.split(",")})
        return flight.FlightDescriptor.for_command(body.encode())
    return flight.FlightDescriptor.for_path(args.dataset)


# ---------------------------------------------------------------------------
# Subcommands


def cmd_put(args: argparse.Namespace) -> dict:
    table = make_table(args.rows, args.seed)
    client = flight.connect(args.uri)
    started = time.perf_counter()
    writer, reader = client.do_put(
        flight.FlightDescriptor.for_path(args.dataset), table.schema, options=call_options(args.zone, 600)
    )
    written = 0
    for batch in table.to_batches(max_chunksize=args.batch_rows):
        writer.write_batch(batch)
        written += batch.num_rows
        if args.hang_after_rows is not None and written >= args.hang_after_rows:
            # Tell the test we are mid-stream, then wait to be killed (never finish the upload).
            print(json.dumps({"midway": written}), flush=True)
            while True:
                time.sleep(3600)
    writer.done_writing()
    acks = []
    while True:
        chunk = reader.read()
        if chunk is None:
            break
        acks.append(chunk.to_pybytes().decode(errors="replace"))
    writer.close()
    client.close()
    return {"ok": True, "rows": written, "seconds": time.perf_counter() - started, "acks": acks[-3:]}


def read_endpoint(clients: Clients, endpoint: flight.FlightEndpoint, location: str, zone: str | None) -> pa.Table:
    return clients.get(location).do_get(endpoint.ticket, options=call_options(zone)).read_all()


def cmd_verify(args: argparse.Namespace) -> dict:
    """get_flight_info, then DoGet at every location of every endpoint (or, with --failover,
    at the first location that answers) and compare with the table that was put."""
    expected = project(make_table(args.rows, args.seed), args.columns)
    clients = Clients()
    client = clients.get(args.uri)
    info = client.get_flight_info(descriptor_of(args), options=call_options(args.zone))
    parts: list[pa.Table] = []
    replicas_identical = True
    failures: list[dict] = []
    endpoints = []
    for endpoint in info.endpoints:
        locations = [uri_of(loc) for loc in endpoint.locations] or [args.uri]
        tables: list[pa.Table] = []
        for location in locations:
            try:
                tables.append(read_endpoint(clients, endpoint, location, args.zone))
            except flight.FlightError as error:
                failures.append({"location": location, "error_class": type(error).__name__, "message": str(error)})
                if not args.failover:
                    raise
                continue
            if args.failover:
                break
        if not tables:
            raise RuntimeError(f"no location served endpoint {endpoint_json(endpoint)}")
        first = tables[0]
        replicas_identical = replicas_identical and all(t.equals(first) for t in tables[1:])
        parts.append(first)
        record = endpoint_json(endpoint)
        record["rows"] = first.num_rows
        record["read_from"] = len(tables)
        endpoints.append(record)
    combined = pa.concat_tables(parts).combine_chunks() if parts else expected.slice(0, 0)
    equal = combined.equals(expected.combine_chunks())
    clients.close()
    result = info_json(info)
    result.update(
        {
            "ok": True,
            "endpoints": endpoints,
            "rows": combined.num_rows,
            "equal": equal,
            "replicas_identical": replicas_identical,
            "failures": failures,
        }
    )
    if not equal:
        result["schema_read"] = str(combined.schema)
        result["schema_expected"] = str(expected.schema)
    return result


def cmd_info(args: argparse.Namespace) -> dict:
    client = flight.connect(args.uri)
    result = attempt(lambda: info_json(client.get_flight_info(descriptor_of(args), options=call_options(args.zone))))
    client.close()
    return result


def cmd_read_file(args: argparse.Namespace) -> dict:
    """Read an Arrow IPC / Feather / Parquet file written by the CLI and compare with the test table."""
    expected = project(make_table(args.rows, args.seed), args.columns)
    if args.file.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(args.file)
    elif args.file.endswith(".arrows"):
        with pa.ipc.open_stream(args.file) as reader:
            table = reader.read_all()
    else:
        with pa.ipc.open_file(args.file) as reader:
            table = reader.read_all()
    return {
        "ok": True,
        "rows": table.num_rows,
        "columns": table.column_names,
        "equal": table.combine_chunks().equals(expected.combine_chunks()),
    }


def cmd_read_demo(args: argparse.Namespace) -> dict:
    """Read the `flight-cluster up` demo dataset the way a pyarrow user would (locations[0] of
    every endpoint) and check its invariants: ids 0..n-1 in order, amount = quantity * unit_price."""
    clients = Clients()
    info = clients.get(args.uri).get_flight_info(flight.FlightDescriptor.for_path(args.dataset))
    parts = []
    for endpoint in info.endpoints:
        location = uri_of(endpoint.locations[0]) if endpoint.locations else args.uri
        parts.append(clients.get(location).do_get(endpoint.ticket).read_all())
    table = pa.concat_tables(parts)
    clients.close()
    ids = table["id"].to_numpy()
    expected_amount = pc.multiply(pc.cast(table["quantity"], pa.float64()), table["unit_price"])
    amount_ok = bool(pc.all(pc.less(pc.abs(pc.subtract(table["amount"], expected_amount)), 1e-6)).as_py())
    return {
        "ok": True,
        "rows": table.num_rows,
        "total_records": info.total_records,
        "columns": table.column_names,
        "endpoints": len(info.endpoints),
        "locations": [len(e.locations) for e in info.endpoints],
        "ids_in_order": bool((ids == np.arange(len(ids))).all()),
        "amount_ok": amount_ok,
        "regions": sorted(pc.unique(table["region"]).to_pylist()),
    }


def cmd_write_file(args: argparse.Namespace) -> dict:
    """Write the test table as a file for `flight-cluster put`."""
    table = make_table(args.rows, args.seed)
    if args.format == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, args.file, row_group_size=args.batch_rows)
    elif args.format == "feather":
        import pyarrow.feather as feather

        feather.write_feather(table, args.file, chunksize=args.batch_rows)  # LZ4 by default
    elif args.format == "stream":
        with pa.ipc.new_stream(args.file, table.schema) as writer:
            writer.write_table(table, max_chunksize=args.batch_rows)
    else:
        with pa.ipc.new_file(args.file, table.schema) as writer:
            writer.write_table(table, max_chunksize=args.batch_rows)
    return {"ok": True, "rows": table.num_rows, "bytes": os.path.getsize(args.file)}


def encode_field1(payload: bytes) -> bytes:
    """A protobuf message whose field 1 (length-delimited) is `payload`."""
    length = len(payload)
    varint = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        varint.append(byte | (0x80 if length else 0))
        if not length:
            break
    return b"\x0a" + bytes(varint) + payload


def wait_until_ms(deadline_ms: int) -> None:
    """Wait until the wall clock passes deadline_ms (the condition under test is the clock)."""
    while time.time() * 1000 <= deadline_ms:
        time.sleep(min(0.2, max(0.01, (deadline_ms - time.time() * 1000) / 1000 + 0.01)))


def do_get_rows(clients: Clients, endpoint: flight.FlightEndpoint) -> int:
    location = uri_of(endpoint.locations[0])
    return clients.get(location).do_get(endpoint.ticket).read_all().num_rows


def cmd_tickets(args: argparse.Namespace) -> dict:
    """Unknown, malformed, cancelled, expired and renewed tickets, as a pyarrow user meets them.

    --uri is a planner with a long ticket TTL; --short-uri one with a short TTL on the same registry.
    """
    clients = Clients()
    planner = clients.get(args.uri)
    short = clients.get(args.short_uri)
    descriptor = flight.FlightDescriptor.for_path(args.dataset)
    out: dict = {"ok": True}

    info = planner.get_flight_info(descriptor)
    endpoint = info.endpoints[0]
    worker = clients.get(uri_of(endpoint.locations[0]))
    unknown = base64.urlsafe_b64encode(secrets.token_bytes(24)).rstrip(b"=")
    out["unknown"] = attempt(lambda: worker.do_get(flight.Ticket(unknown)).read_all().num_rows)
    out["malformed"] = attempt(lambda: worker.do_get(flight.Ticket(b"\x00\xff" * 4096)).read_all().num_rows)
    out["valid"] = attempt(lambda: do_get_rows(clients, endpoint))

    # CancelFlightInfo through the planner, then redeem the cancelled tickets.
    info = planner.get_flight_info(descriptor)
    results = list(planner.do_action(flight.Action("CancelFlightInfo", encode_field1(info.serialize()))))
    body = results[0].body.to_pybytes() if results else b""
    out["cancel_status"] = body[1] if len(body) >= 2 and body[0] == 0x08 else None
    out["cancelled"] = attempt(lambda: do_get_rows(clients, info.endpoints[0]))
    out["cancelled_last"] = attempt(lambda: do_get_rows(clients, info.endpoints[-1]))

    # A ticket from the short-TTL planner, redeemed after its expiration_time.
    info = short.get_flight_info(descriptor)
    endpoint = info.endpoints[0]
    expires = endpoint.expiration_time.value // 1_000_000
    out["short_ttl_ms"] = expires - int(time.time() * 1000)
    wait_until_ms(expires + 300)
    out["expired"] = attempt(lambda: do_get_rows(clients, endpoint))

    # RenewFlightEndpoint (through the long-TTL planner) of a short-TTL ticket, redeemed after
    # the original expiry: it must still work.
    info = short.get_flight_info(descriptor)
    endpoint = info.endpoints[0]
    old = endpoint.expiration_time.value // 1_000_000
    results = list(planner.do_action(flight.Action("RenewFlightEndpoint", encode_field1(endpoint.serialize()))))
    renewed = flight.FlightEndpoint.deserialize(results[0].body.to_pybytes())
    new = renewed.expiration_time.value // 1_000_000
    out["old_expiration_ms"] = old
    out["new_expiration_ms"] = new
    out["same_ticket"] = renewed.ticket.ticket == endpoint.ticket.ticket
    wait_until_ms(old + 300)
    out["renewed"] = attempt(lambda: do_get_rows(clients, renewed))
    clients.close()
    return out


def cmd_bad_input(args: argparse.Namespace) -> dict:
    """Hostile names, oversized descriptors and malformed commands against the planner."""
    client = flight.connect(args.uri)
    out: dict = {"ok": True, "get_flight_info": {}, "do_put": {}, "cmd": {}}
    names = {
        "dotdot": "..",
        "dotdot_segment": "a/../b",
        "leading_slash": "/etc/passwd",
        "double_slash": "a//b",
        "trailing_slash": "a/",
        "backslash": "a\\..\\b",
        "nul": "a\x00b",
        "newline": "a\nb",
        "escape": "a\x1b[31mb",
        "dot": ".",
        "empty": "",
        "too_long": "x" * 5000,
        "unicode": "caf\u00e9",
    }
    for key, name in names.items():
        descriptor = flight.FlightDescriptor.for_path(name)
        out["get_flight_info"][key] = attempt(lambda d=descriptor: client.get_flight_info(d).total_records)
    out["get_flight_info"]["two_segments_path"] = attempt(
        lambda: client.get_flight_info(flight.FlightDescriptor.for_path("..", "etc")).total_records
    )
    out["get_flight_info"]["oversized_cmd"] = attempt(
        lambda: client.get_flight_info(flight.FlightDescriptor.for_command(b"{" + b" " * (1 << 20) + b"}")).total_records
    )
    commands = {
        "not_json": b"{not json",
        "not_object": b"[1, 2]",
        "dataset_number": b'{"dataset": 5}',
        "columns_string": b'{"dataset": "x", "columns": "a"}',
        "missing_dataset": b'{"columns": ["a"]}',
        "bad_utf8": b'{"dataset": "\xff\xfe"}',
        "traversal": b'{"dataset": "../../etc"}',
    }
    for key, body in commands.items():
        descriptor = flight.FlightDescriptor.for_command(body)
        out["cmd"][key] = attempt(lambda d=descriptor: client.get_flight_info(d).total_records)
    table = make_table(1000, 7)
    for key in ("dotdot_segment", "leading_slash", "nul", "newline", "empty"):
        name = names[key]

        def put(n: str = name) -> int:
            writer, _ = client.do_put(flight.FlightDescriptor.for_path(n), table.schema)
            writer.write_table(table)
            writer.close()
            return table.num_rows

        out["do_put"][key] = attempt(put)
    client.close()
    return out


def cmd_list(args: argparse.Namespace) -> dict:
    client = flight.connect(args.uri)
    flights = [
        {"path": [p.decode() if isinstance(p, bytes) else p for p in (f.descriptor.path or [])], "records": f.total_records}
        for f in client.list_flights()
    ]
    client.close()
    return {"ok": True, "flights": flights}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, fn: Callable[[argparse.Namespace], dict]) -> argparse.ArgumentParser:
        p = sub.add_parser(name)
        p.set_defaults(fn=fn)
        return p

    p = add("put", cmd_put)
    p.add_argument("--uri", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch-rows", type=int, default=50_000)
    p.add_argument("--zone")
    p.add_argument("--hang-after-rows", type=int)
    p = add("verify", cmd_verify)
    p.add_argument("--uri", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--zone")
    p.add_argument("--columns")
    p.add_argument("--failover", action="store_true")
    p = add("info", cmd_info)
    p.add_argument("--uri", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--zone")
    p.add_argument("--columns")
    p = add("tickets", cmd_tickets)
    p.add_argument("--uri", required=True)
    p.add_argument("--short-uri", required=True)
    p.add_argument("--dataset", required=True)
    p = add("bad-input", cmd_bad_input)
    p.add_argument("--uri", required=True)
    p = add("list", cmd_list)
    p.add_argument("--uri", required=True)
    p = add("write-file", cmd_write_file)
    p.add_argument("--file", required=True)
    p.add_argument("--format", choices=["arrow", "stream", "feather", "parquet"], required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch-rows", type=int, default=50_000)
    p = add("read-file", cmd_read_file)
    p.add_argument("--file", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--columns")
    p = add("read-demo", cmd_read_demo)
    p.add_argument("--uri", required=True)
    p.add_argument("--dataset", default="demo/sales")
    args = parser.parse_args()
    try:
        result = args.fn(args)
    except flight.FlightError as error:
        result = {"ok": False, "error_class": type(error).__name__, "message": str(error)}
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
