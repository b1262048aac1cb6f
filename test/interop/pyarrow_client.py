"""A pyarrow.flight client driven over stdin/stdout, for testing our server against.

The TypeScript tests send one JSON request per line on stdin::

    {"id": 7, "op": "do_get", "args": {"ticket": "all-types", "expected": "all-types"}}

and read exactly one JSON line back per request::

    {"id": 7, "ok": true, "result": {...}}
    {"id": 7, "ok": false, "error": {"type": "FlightUnauthenticatedError", "bases": [...], "message": "..."}}

Every comparison of Arrow data happens here, with pyarrow (see
fixtures.compare_tables); the TypeScript side asserts on the reported facts.
The first line printed is ``{"event":"ready","pyarrow":"<version>"}``.
The driver exits when stdin closes.

Operations (args in brackets; ``client`` names a connection, default "main"):
connect [location, tls_root_certs, cert_chain, private_key (PEM paths)], close, authenticate [user, password], set_header [name,
value], list_flights
[criteria], get_flight_info [descriptor, expected], get_schema [descriptor,
expected], do_get [ticket, expected, cancel_after], do_put [descriptor, fixture,
metadata_only_message, compression, dictionary_deltas], do_exchange [command, fixture], do_action [type, body, timeout],
list_actions. A descriptor is ``{"path": [...]}`` or ``{"command": "..."}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.flight as fl

import fixtures
from json_lines import describe_exception, emit, text_or_base64

Args = dict[str, Any]


class Driver:
    """Connections by name, with the call options (bearer header) each has earned."""

    def __init__(self) -> None:
        self.clients: dict[str, fl.FlightClient] = {}
        self.options: dict[str, fl.FlightCallOptions] = {}

    def _client(self, args: Args) -> tuple[fl.FlightClient, fl.FlightCallOptions]:
        name = args.get("client", "main")
        if name not in self.clients:
            raise LookupError(f"driver: no connection named '{name}' (call connect first)")
        return self.clients[name], self.options.get(name, fl.FlightCallOptions())

    # -- connection ----------------------------------------------------------------------------

    def connect(self, args: Args) -> dict[str, object]:
        name = args.get("client", "main")
        if name in self.clients:
            self.clients.pop(name).close()
        def read(key: str) -> bytes | None:
            if key not in args:
                return None
            with open(args[key], "rb") as f:
                return f.read()

        self.clients[name] = fl.connect(
            args["location"],
            tls_root_certs=read("tls_root_certs"),
            cert_chain=read("cert_chain"),
            private_key=read("private_key"),
        )
        self.options[name] = fl.FlightCallOptions(timeout=float(args.get("timeout", 20)))
        return {}

    def close(self, args: Args) -> dict[str, object]:
        name = args.get("client", "main")
        client = self.clients.pop(name, None)
        self.options.pop(name, None)
        if client is not None:
            client.close()
        return {"closed": client is not None}

    def authenticate(self, args: Args) -> dict[str, object]:
        client, _ = self._client(args)
        key, value = client.authenticate_basic_token(args["user"], args["password"])
        key_text = key.decode() if isinstance(key, bytes) else key
        value_text = value.decode() if isinstance(value, bytes) else value
        self.options[args.get("client", "main")] = fl.FlightCallOptions(
            timeout=float(args.get("timeout", 20)), headers=[(key, value)]
        )
        return {"header": [key_text, value_text]}

    def set_header(self, args: Args) -> dict[str, object]:
        """Send this header on every later call of the connection (e.g. a forged bearer token)."""
        self._client(args)
        self.options[args.get("client", "main")] = fl.FlightCallOptions(
            timeout=float(args.get("timeout", 20)), headers=[(args["name"].encode(), args["value"].encode())]
        )
        return {}

    # -- metadata RPCs -------------------------------------------------------------------------

    def list_flights(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        criteria = args.get("criteria", "").encode("utf-8")
        return {"flights": [_info(info, None) for info in client.list_flights(criteria, options=options)]}

    def get_flight_info(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        info = client.get_flight_info(_descriptor(args["descriptor"]), options=options)
        return _info(info, args.get("expected"))

    def get_schema(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        schema = client.get_schema(_descriptor(args["descriptor"]), options=options).schema
        return _schema_facts(schema, args.get("expected"))

    def do_action(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        if "timeout" in args:
            options = fl.FlightCallOptions(timeout=float(args["timeout"]), headers=options.headers)
        action = fl.Action(args["type"], args.get("body", "").encode("utf-8"))
        bodies = [text_or_base64(r.body.to_pybytes()) for r in client.do_action(action, options=options)]
        return {"bodies": bodies}

    def list_actions(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        return {"actions": [{"type": a.type, "description": a.description} for a in client.list_actions(options=options)]}

    # -- data RPCs -----------------------------------------------------------------------------

    def do_get(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        reader = client.do_get(fl.Ticket(args["ticket"].encode("utf-8")), options=options)
        batches: list[pa.RecordBatch] = []
        chunks: list[dict[str, object]] = []
        cancel_after = args.get("cancel_after")
        while cancel_after is None or len(chunks) < cancel_after:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            if chunk.data is not None:
                batches.append(chunk.data)
            chunks.append({
                "rows": chunk.data.num_rows if chunk.data is not None else None,
                "appMetadata": text_or_base64(chunk.app_metadata.to_pybytes()) if chunk.app_metadata else None,
            })
        if cancel_after is not None:
            reader.cancel()
            return {"chunks": chunks, "rows": sum(b.num_rows for b in batches), "cancelled": True}
        table = pa.Table.from_batches(batches, schema=reader.schema)
        stats = reader.stats
        result: dict[str, object] = {"chunks": chunks, "rows": table.num_rows, "stats": {
            "dictionaryBatches": stats.num_dictionary_batches,
            "dictionaryDeltas": stats.num_dictionary_deltas,
            "replacedDictionaries": stats.num_replaced_dictionaries,
        }}
        if "expected" in args:
            result["compare"] = fixtures.compare_tables(table, fixtures.tables()[args["expected"]])
        return result

    def do_put(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        table = fixtures.tables()[args["fixture"]]
        if args.get("compression") or args.get("dictionary_deltas"):
            write_options = pa.ipc.IpcWriteOptions(
                compression=args.get("compression"), emit_dictionary_deltas=bool(args.get("dictionary_deltas"))
            )
            options = fl.FlightCallOptions(timeout=options.timeout, headers=options.headers, write_options=write_options)
        writer, metadata_reader = client.do_put(_descriptor(args["descriptor"]), table.schema, options=options)
        sent = 0
        for index, batch in enumerate(table.to_batches()):
            writer.write_with_metadata(batch, pa.py_buffer(f"put-{index}".encode()))
            sent += 1
        if args.get("metadata_only_message"):
            writer.write_metadata(pa.py_buffer(b"metadata-only"))
            sent += 1
        writer.done_writing()
        acks = []
        while True:
            ack = metadata_reader.read()
            if ack is None:
                break
            acks.append(json.loads(ack.to_pybytes()))
        writer.close()
        return {"sent": sent, "acks": acks}

    def do_exchange(self, args: Args) -> dict[str, object]:
        client, options = self._client(args)
        command = args["command"]
        batches = fixtures.tables()[args["fixture"]].to_batches()
        writer, reader = client.do_exchange(fl.FlightDescriptor.for_command(command.encode()), options=options)
        writer.begin(batches[0].schema)
        for index, batch in enumerate(batches):
            writer.write_with_metadata(batch, pa.py_buffer(f"x-{index}".encode()))
        writer.write_metadata(pa.py_buffer(b"metadata-only"))
        writer.done_writing()
        received: list[pa.RecordBatch] = []
        chunks: list[dict[str, object]] = []
        while True:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            if chunk.data is not None:
                received.append(chunk.data)
            chunks.append({
                "rows": chunk.data.num_rows if chunk.data is not None else None,
                "appMetadata": text_or_base64(chunk.app_metadata.to_pybytes()) if chunk.app_metadata else None,
            })
        writer.close()
        expected_batches = [fixtures.doubled(b) for b in batches] if command == "double" else batches
        expected = pa.Table.from_batches(expected_batches)
        got = pa.Table.from_batches(received, schema=expected.schema) if received else expected.schema.empty_table()
        return {"chunks": chunks, "compare": fixtures.compare_tables(got, expected)}


def _descriptor(spec: Args) -> fl.FlightDescriptor:
    if "path" in spec:
        return fl.FlightDescriptor.for_path(*spec["path"])
    return fl.FlightDescriptor.for_command(spec["command"].encode("utf-8"))


def _schema_facts(schema: pa.Schema, expected: str | None) -> dict[str, object]:
    facts: dict[str, object] = {"names": schema.names, "metadata": {
        k.decode(): v.decode() for k, v in (schema.metadata or {}).items()
    }}
    if expected is not None:
        facts["schemaEquals"] = schema.equals(fixtures.tables()[expected].schema, check_metadata=True)
    return facts


def _info(info: fl.FlightInfo, expected: str | None) -> dict[str, object]:
    descriptor = info.descriptor
    if descriptor.descriptor_type == fl.DescriptorType.PATH:
        described: dict[str, object] = {"path": [p.decode() if isinstance(p, bytes) else p for p in descriptor.path]}
    else:
        described = {"command": text_or_base64(descriptor.command)}
    endpoints = []
    for endpoint in info.endpoints:
        expiration = endpoint.expiration_time
        endpoints.append({
            "ticket": text_or_base64(endpoint.ticket.ticket),
            "locations": [loc.uri.decode() if isinstance(loc.uri, bytes) else loc.uri for loc in endpoint.locations],
            "expirationMs": None if expiration is None or not expiration.is_valid
            else expiration.cast(pa.timestamp("ms", tz="UTC")).value,
            "appMetadata": text_or_base64(endpoint.app_metadata),
        })
    return {
        "descriptor": described,
        "totalRecords": info.total_records,
        "totalBytes": info.total_bytes,
        "ordered": info.ordered,
        "appMetadata": text_or_base64(info.app_metadata),
        "endpoints": endpoints,
        "schema": _schema_facts(info.schema, expected),
    }


def main() -> int:
    driver = Driver()
    ops: dict[str, Callable[[Args], dict[str, object]]] = {
        name: getattr(driver, name)
        for name in ("connect", "close", "authenticate", "set_header", "list_flights", "get_flight_info", "get_schema",
                     "do_get", "do_put", "do_exchange", "do_action", "list_actions")
    }
    emit({"event": "ready", "pyarrow": pa.__version__})
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            op = ops.get(request.get("op"))
            if op is None:
                raise LookupError(f"driver: unknown op '{request.get('op')}'")
            emit({"id": request_id, "ok": True, "result": op(request.get("args", {}))})
        except Exception as error:  # every failure is reported, the driver keeps serving
            emit({"id": request_id, "ok": False, "error": describe_exception(error)})
    for client in driver.clients.values():
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
