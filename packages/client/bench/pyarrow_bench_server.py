"""A pyarrow.flight (C++) server for threads-bench.ts: serves one in-memory table as
ENDPOINTS endpoints (contiguous slices, tickets ``e<i>``, no locations: redeemed on this
server), in record batches of 65,536 rows: ``id`` int32 0..ROWS-1, ``value`` float64 =
id * 1.5.

Usage: python pyarrow_bench_server.py ROWS ENDPOINTS
Prints ``{"event":"listening","location":...}`` and serves until stdin closes.
"""

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl


class Server(fl.FlightServerBase):
    def __init__(self, rows: int, endpoints: int) -> None:
        super().__init__("grpc+tcp://127.0.0.1:0")
        ids = np.arange(rows, dtype=np.int32)
        self.table = pa.table({"id": ids, "value": ids.astype(np.float64) * 1.5})
        per = -(-rows // endpoints)
        self.slices = [self.table.slice(i * per, per) for i in range(endpoints)]

    def get_flight_info(self, context, descriptor):
        endpoints = [fl.FlightEndpoint(f"e{i}".encode(), []) for i in range(len(self.slices))]
        return fl.FlightInfo(self.table.schema, descriptor, endpoints, self.table.num_rows, -1, ordered=True)

    def do_get(self, context, ticket):
        part = self.slices[int(ticket.ticket.decode()[1:])]
        return fl.RecordBatchStream(pa.Table.from_batches(part.to_batches(max_chunksize=65_536), part.schema))


def main() -> None:
    server = Server(int(sys.argv[1]), int(sys.argv[2]))
    sys.stdout.write(json.dumps({"event": "listening", "location": f"grpc+tcp://127.0.0.1:{server.port}"}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
