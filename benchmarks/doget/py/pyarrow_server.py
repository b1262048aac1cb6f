"""Reference (c), server side: pyarrow.flight (Arrow C++ Flight) serving one table with DoGet.

Usage: pyarrow_server.py --file TABLE.arrow

Loads the Arrow IPC file into memory, binds 127.0.0.1 on a free port, prints
{"event": "ready", "port": N} and serves every ticket with the whole table as a
RecordBatchStream (the batches as stored, no re-chunking). When stdin closes it stops and
prints {"event": "exit", ...resource usage}.
"""

import argparse
import sys

import pyarrow as pa
import pyarrow.flight as flight

from bench_process import emit, fail, usage


class TableServer(flight.FlightServerBase):
    """Serves one in-memory table for any ticket."""

    def __init__(self, table: pa.Table):
        super().__init__("grpc://127.0.0.1:0")
        self._table = table

    def do_get(self, context, ticket):
        return flight.RecordBatchStream(self._table)


def main() -> int:
    parser = argparse.ArgumentParser(description="pyarrow.flight DoGet benchmark server")
    parser.add_argument("--file", required=True)
    args = parser.parse_args()
    try:
        with pa.OSFile(args.file) as source:
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowInvalid) as error:
        fail(f"pyarrow_server: cannot load {args.file}: {error}")
    server = TableServer(table)
    emit("ready", port=server.port, rows=table.num_rows, batches=len(table.to_batches()), **usage())
    # The server already runs in background threads; block until the harness closes stdin.
    while sys.stdin.buffer.read(65536):
        pass
    server.shutdown()
    emit("exit", **usage())
    return 0


if __name__ == "__main__":
    sys.exit(main())
