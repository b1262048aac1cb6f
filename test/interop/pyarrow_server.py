"""A reference Flight server written with pyarrow.flight, for testing our client against.

It serves the fixture tables (see fixtures.py), requires Basic -> Bearer
authentication on every call (the scheme pyarrow's ``authenticate_basic_token``
speaks), stores uploads, echoes and transforms exchanges, and raises each of
pyarrow's Flight exceptions on request.

Usage::

    python test/interop/pyarrow_server.py --fixtures-dir DIR [--port 0]
        [--tls-cert PEM --tls-key PEM [--client-ca PEM]]

It writes the fixtures as Arrow IPC files into DIR, then prints one JSON line::

    {"event":"listening","port":N,"location":"grpc+tcp://127.0.0.1:N","fixtures":{...}}

and serves until stdin closes or it is killed.

Users: ``alice``/``wonderland`` may read and write; ``bob``/``builder`` may only
read (DoPut raises FlightUnauthorizedError).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import secrets
import sys
import threading
import time
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.flight as fl

import fixtures
from json_lines import emit, on_stdin_closed

USERS = {"alice": "wonderland", "bob": "builder"}
WRITERS = {"alice"}

# Endpoint expiration for every FlightInfo this server returns: 2030-01-02T03:04:05.678Z.
EXPIRATION_MS = 1_893_553_445_678

# DoAction "raise": body names the exception to raise.
EXCEPTIONS = {
    "unavailable": lambda m: fl.FlightUnavailableError(m),
    "unauthenticated": lambda m: fl.FlightUnauthenticatedError(m),
    "unauthorized": lambda m: fl.FlightUnauthorizedError(m),
    "timed-out": lambda m: fl.FlightTimedOutError(m),
    "cancelled": lambda m: fl.FlightCancelledError(m),
    "internal": lambda m: fl.FlightInternalError(m),
    "server-error": lambda m: fl.FlightServerError(m),
    "key-error": lambda m: KeyError(m),
    "invalid": lambda m: pa.ArrowInvalid(m),
    "not-implemented": lambda m: NotImplementedError(m),
    "runtime-error": lambda m: RuntimeError(m),
}

ACTIONS = [
    ("echo", "Returns the body unchanged."),
    ("count", "Body: a decimal number N. Returns N results: b'0' .. b'N-1'."),
    ("raise", "Body: an exception name (see EXCEPTIONS). Raises it."),
    ("compare", 'Body: {"name": uploaded, "expected": fixture}. Returns the comparison as JSON.'),
    ("whoami", "Returns the authenticated user name."),
    ("sleep", "Body: seconds (at most 30). Returns b'done' after them, or stops early when the call is cancelled."),
    ("CancelFlightInfo", "Cancels a FlightInfo (always reports CANCELLED)."),
    ("RenewFlightEndpoint", "Returns the endpoint with its expiration moved one hour later."),
]


def _header(headers: dict[str, list[str]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name and values:
            return values[0]
    return None


def _b64decode_lenient(value: str) -> bytes:
    """Base64 with or without padding (arrow-go omits it)."""
    return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)


class BearerMiddleware(fl.ServerMiddleware):
    """Per-call state: who is calling, and the token to send back after Handshake."""

    def __init__(self, user: str, new_token: str | None) -> None:
        self.user = user
        self.new_token = new_token

    def sending_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.new_token}"} if self.new_token else {}


class BearerAuthFactory(fl.ServerMiddlewareFactory):
    """Handshake with ``Basic user:password`` gets a token; every other call needs ``Bearer <token>``."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.lock = threading.Lock()

    def start_call(self, info: fl.CallInfo, headers: dict[str, list[str]]) -> BearerMiddleware:
        value = _header(headers, "authorization")
        if value is None:
            raise fl.FlightUnauthenticatedError("no credentials: authenticate with Basic auth first")
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() == "basic" and info.method == fl.FlightMethod.HANDSHAKE:
            try:
                user, _, password = _b64decode_lenient(credentials).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError) as error:
                raise fl.FlightUnauthenticatedError("malformed Basic credentials") from error
            if USERS.get(user) != password:
                raise fl.FlightUnauthenticatedError("wrong user name or password")
            token = secrets.token_urlsafe(24)
            with self.lock:
                self.tokens[token] = user
            return BearerMiddleware(user, token)
        if scheme.lower() == "bearer":
            with self.lock:
                user = self.tokens.get(credentials)
            if user is None:
                raise fl.FlightUnauthenticatedError("unknown bearer token")
            return BearerMiddleware(user, None)
        raise fl.FlightUnauthenticatedError(f"unsupported authorization scheme '{scheme}' for this call")


class HandshakeViaMiddleware(fl.ServerAuthHandler):
    """Lets Handshake through: the credentials are checked by BearerAuthFactory, from headers.

    Without a ServerAuthHandler, pyarrow answers Handshake with UNIMPLEMENTED.
    """

    def authenticate(self, outgoing: object, incoming: object) -> None:
        return None

    def is_valid(self, token: bytes) -> str:
        return ""


class Dataset:
    """A stored table, kept as its batches with the app_metadata each arrived with."""

    def __init__(self, schema: pa.Schema, batches: list[pa.RecordBatch], metadata: list[bytes | None]) -> None:
        self.schema = schema
        self.batches = batches
        self.metadata = metadata

    def table(self) -> pa.Table:
        return pa.Table.from_batches(self.batches, schema=self.schema)


def _descriptor_name(descriptor: fl.FlightDescriptor) -> str:
    if descriptor.descriptor_type == fl.DescriptorType.PATH:
        return "/".join(p.decode("utf-8") if isinstance(p, bytes) else p for p in descriptor.path)
    return descriptor.command.decode("utf-8")


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise pa.ArrowInvalid("truncated varint in action body")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _single_message_field(body: bytes, field_number: int) -> bytes:
    """The bytes of embedded message ``field_number`` in a request that has only that field."""
    pos = 0
    while pos < len(body):
        key, pos = _read_varint(body, pos)
        if key & 7 != 2:
            raise pa.ArrowInvalid(f"unexpected wire type {key & 7} in action body")
        length, pos = _read_varint(body, pos)
        if key >> 3 == field_number:
            return body[pos : pos + length]
        pos += length
    raise pa.ArrowInvalid(f"action body has no field {field_number}")


class ReferenceServer(fl.FlightServerBase):
    """The pyarrow.flight reference peer."""

    def __init__(self, host: str, port: int, tls: tuple[bytes, bytes] | None = None,
                 client_ca: bytes | None = None) -> None:
        self.auth = BearerAuthFactory()
        scheme = "grpc+tls" if tls is not None else "grpc+tcp"
        super().__init__(
            f"{scheme}://{host}:{port}",
            auth_handler=HandshakeViaMiddleware(),
            middleware={"auth": self.auth},
            tls_certificates=[fl.CertKeyPair(cert=tls[0], key=tls[1])] if tls is not None else None,
            verify_client=client_ca is not None,
            root_certificates=client_ca,
        )
        self.location = f"{scheme}://{host}:{self.port}"
        self.lock = threading.Lock()
        self.datasets: dict[str, Dataset] = {}
        for name, table in fixtures.tables().items():
            batches = table.to_batches()
            self.datasets[name] = Dataset(table.schema, batches, [f"batch-{i}".encode() for i in range(len(batches))])

    # -- helpers -----------------------------------------------------------------------------------

    def _user(self, context: fl.ServerCallContext) -> str:
        middleware = context.get_middleware("auth")
        return middleware.user if middleware else "?"

    def _dataset(self, name: str) -> Dataset:
        with self.lock:
            dataset = self.datasets.get(name)
        if dataset is None:
            raise KeyError(f"no dataset named '{name}'")
        return dataset

    def _info(self, name: str, descriptor: fl.FlightDescriptor) -> fl.FlightInfo:
        dataset = self._dataset(name)
        table = dataset.table()
        expiration = pa.scalar(EXPIRATION_MS * 1000, pa.timestamp("us", tz="UTC"))
        endpoint = fl.FlightEndpoint(name.encode("utf-8"), [self.location], expiration_time=expiration,
                                     app_metadata=f"endpoint:{name}".encode())
        return fl.FlightInfo(dataset.schema, descriptor, [endpoint], total_records=table.num_rows,
                             total_bytes=table.nbytes, ordered=True, app_metadata=f"info:{name}".encode())

    # -- RPCs --------------------------------------------------------------------------------------

    def list_flights(self, context: fl.ServerCallContext, criteria: bytes) -> Iterator[fl.FlightInfo]:
        prefix = criteria.decode("utf-8") if criteria else ""  # criteria: a name prefix
        with self.lock:
            names = sorted(n for n in self.datasets if n.startswith(prefix))
        for name in names:
            yield self._info(name, fl.FlightDescriptor.for_path(*name.split("/")))

    def get_flight_info(self, context: fl.ServerCallContext, descriptor: fl.FlightDescriptor) -> fl.FlightInfo:
        return self._info(_descriptor_name(descriptor), descriptor)

    def get_schema(self, context: fl.ServerCallContext, descriptor: fl.FlightDescriptor) -> fl.SchemaResult:
        return fl.SchemaResult(self._dataset(_descriptor_name(descriptor)).schema)

    def do_get(self, context: fl.ServerCallContext, ticket: fl.Ticket) -> fl.FlightDataStream:
        name = ticket.ticket.decode("utf-8")
        if name == "fail-midstream":
            source = self._dataset(fixtures.SMALL)

            def failing() -> Iterator[tuple[pa.RecordBatch, bytes]]:
                yield source.batches[0], b"before-failure"
                raise fl.FlightUnavailableError("the replica went away mid-stream")

            return fl.GeneratorStream(source.schema, failing())
        codec, _, rest = name.partition(":")
        if codec in ("zstd", "lz4") and rest:
            # "zstd:<name>", "lz4:<name>": the dataset with compressed IPC bodies.
            options = pa.ipc.IpcWriteOptions(compression=codec)
            return fl.RecordBatchStream(self._dataset(rest).table(), options=options)
        dataset = self._dataset(name)
        if name == fixtures.DICT_DELTAS:
            # Each batch's dictionary extends the previous one: sent as delta dictionary batches.
            options = pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True)
            return fl.RecordBatchStream(dataset.table(), options=options)
        if any(pa.types.is_dictionary(f.type) for f in dataset.schema):
            # GeneratorStream sends batches without their dictionary messages; the IPC stream
            # writer behind RecordBatchStream sends them (replacements when a batch's dictionary
            # changes). Per-batch app_metadata is only sent for dictionary-free datasets.
            return fl.RecordBatchStream(dataset.table())
        chunks = [(b, m) if m is not None else b for b, m in zip(dataset.batches, dataset.metadata)]
        return fl.GeneratorStream(dataset.schema, iter(chunks))

    def do_put(self, context: fl.ServerCallContext, descriptor: fl.FlightDescriptor,
               reader: fl.MetadataRecordBatchReader, writer: fl.FlightMetadataWriter) -> None:
        user = self._user(context)
        if user not in WRITERS:
            raise fl.FlightUnauthorizedError(f"user '{user}' may not upload")
        name = _descriptor_name(descriptor)
        batches: list[pa.RecordBatch] = []
        metadata: list[bytes | None] = []
        index = 0
        while True:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            app_metadata = chunk.app_metadata.to_pybytes() if chunk.app_metadata is not None else None
            if chunk.data is not None:
                batches.append(chunk.data)
                metadata.append(app_metadata)
            ack = {
                "index": index,
                "rows": chunk.data.num_rows if chunk.data is not None else None,
                "appMetadata": app_metadata.decode("utf-8", "replace") if app_metadata is not None else None,
            }
            writer.write(pa.py_buffer(json.dumps(ack).encode("utf-8")))
            index += 1
        with self.lock:
            self.datasets[name] = Dataset(reader.schema, batches, metadata)

    def do_exchange(self, context: fl.ServerCallContext, descriptor: fl.FlightDescriptor,
                    reader: fl.MetadataRecordBatchReader, writer: fl.MetadataRecordBatchWriter) -> None:
        command = _descriptor_name(descriptor)
        if command not in ("echo", "double"):
            raise pa.ArrowInvalid(f"unknown exchange command '{command}' (expected echo or double)")
        started = False
        for index, chunk in enumerate(reader):
            data = chunk.data
            meta = chunk.app_metadata
            if data is not None and command == "double":
                data = fixtures.doubled(data)
                meta = pa.py_buffer(f"doubled-{index}".encode())
            if data is not None and not started:
                writer.begin(data.schema)
                started = True
            if data is not None and meta is not None:
                writer.write_with_metadata(data, meta)
            elif data is not None:
                writer.write_batch(data)
            elif meta is not None:
                writer.write_metadata(meta)

    def do_action(self, context: fl.ServerCallContext, action: fl.Action) -> Iterator[bytes]:
        body = action.body.to_pybytes() if action.body is not None else b""
        kind = action.type
        if kind == "echo":
            yield body
        elif kind == "count":
            for i in range(int(body.decode("ascii") or "0")):
                yield str(i).encode("ascii")
        elif kind == "raise":
            name = body.decode("utf-8")
            make = EXCEPTIONS.get(name)
            if make is None:
                raise pa.ArrowInvalid(f"unknown exception name '{name}'")
            raise make(f"raised on request: {name}")
        elif kind == "compare":
            request = json.loads(body)
            got = self._dataset(request["name"]).table()
            expected = fixtures.tables()[request["expected"]]
            with self.lock:
                stored = self.datasets[request["name"]]
            result = fixtures.compare_tables(got, expected)
            result["batchRows"] = [b.num_rows for b in stored.batches]
            result["appMetadata"] = [None if m is None else m.decode("utf-8", "replace") for m in stored.metadata]
            yield json.dumps(result).encode("utf-8")
        elif kind == "whoami":
            yield self._user(context).encode("utf-8")
        elif kind == "sleep":
            deadline = time.monotonic() + min(30.0, float(body.decode("ascii") or "0"))
            while time.monotonic() < deadline:
                if context.is_cancelled():
                    return
                time.sleep(0.02)
            yield b"done"
        elif kind == "CancelFlightInfo":
            info = fl.FlightInfo.deserialize(_single_message_field(body, 1))
            self._dataset(_descriptor_name(info.descriptor))  # NOT_FOUND for unknown flights
            yield b"\x08\x01"  # CancelFlightInfoResult { status: CANCEL_STATUS_CANCELLED }
        elif kind == "RenewFlightEndpoint":
            endpoint = fl.FlightEndpoint.deserialize(_single_message_field(body, 1))
            renewed = pa.scalar((EXPIRATION_MS + 3_600_000) * 1000, pa.timestamp("us", tz="UTC"))
            yield fl.FlightEndpoint(endpoint.ticket, [loc.uri for loc in endpoint.locations], expiration_time=renewed,
                                    app_metadata=endpoint.app_metadata).serialize()
        else:
            raise NotImplementedError(f"unknown action '{kind}'")

    def list_actions(self, context: fl.ServerCallContext) -> list[tuple[str, str]]:
        return list(ACTIONS)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="pyarrow.flight reference server for the interop tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fixtures-dir", required=True, help="where to write the expected <name>.arrow files")
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve grpc+tls")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--client-ca", help="PEM CA that client certificates must chain to (mTLS)")
    args = parser.parse_args(argv)
    summary = fixtures.write_expected(args.fixtures_dir)

    def read(path: str | None) -> bytes | None:
        if path is None:
            return None
        with open(path, "rb") as f:
            return f.read()

    cert, key = read(args.tls_cert), read(args.tls_key)
    server = ReferenceServer(args.host, args.port, (cert, key) if cert is not None and key is not None else None,
                             read(args.client_ca))
    on_stdin_closed(server.shutdown)
    emit({"event": "listening", "port": server.port, "location": server.location, "fixtures": summary})
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
