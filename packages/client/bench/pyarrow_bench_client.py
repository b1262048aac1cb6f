"""Reference reader for threads-bench.ts: pyarrow.flight (C++) reads every endpoint of a
flight, CONCURRENCY at once, from the server it asked (the bench server's endpoints have no
locations). Prints ``{"seconds", "bytes", "rows", "cpuSeconds"}`` for the read alone
(connection and GetFlightInfo excluded; bytes = Arrow body bytes of the batches).

Usage: python pyarrow_bench_client.py LOCATION CONCURRENCY
"""

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pyarrow.flight as fl


def main() -> None:
    client = fl.connect(sys.argv[1])
    concurrency = int(sys.argv[2])
    info = client.get_flight_info(fl.FlightDescriptor.for_path("bench"))

    def read(endpoint):
        table = client.do_get(endpoint.ticket).read_all()
        return table.num_rows, table.nbytes

    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(read, info.endpoints))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    rows = sum(r for r, _ in results)
    nbytes = sum(b for _, b in results)
    print(json.dumps({"seconds": seconds, "bytes": nbytes, "rows": rows, "cpuSeconds": cpu_seconds}))


if __name__ == "__main__":
    main()
