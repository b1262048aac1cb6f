"""Reference (c), client side: pyarrow.flight client timing DoGet of a whole table.

Usage: pyarrow_client.py --port N --expect-rows N [--passes 5] [--warmup 1]

Each pass calls do_get and iterates the stream chunk by chunk, reading one value of the first
and the last column of every batch (as the Node clients do), and checks the row count. Prints
{"event": "result", "warmup": [...], "passes": [{"seconds", "rows", "batches"}],
"timedCpuSeconds"/"timedRunQueueWaitSeconds": of the timed passes, ...usage}.
"""

import argparse
import resource
import sys
import time

import pyarrow.flight as flight

from bench_process import emit, fail, run_queue_wait_seconds, usage


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def one_pass(client: flight.FlightClient, ticket: flight.Ticket) -> dict:
    start = time.perf_counter()
    reader = client.do_get(ticket)
    rows = batches = 0
    while True:
        try:
            chunk = reader.read_chunk()
        except StopIteration:
            break
        batch = chunk.data
        if batch is None:
            continue
        if batch.num_rows > 0:
            batch.column(0)[0]
            batch.column(batch.num_columns - 1)[batch.num_rows - 1]
        rows += batch.num_rows
        batches += 1
    return {"seconds": time.perf_counter() - start, "rows": rows, "batches": batches}


def main() -> int:
    parser = argparse.ArgumentParser(description="pyarrow.flight DoGet benchmark client")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--expect-rows", type=int, required=True)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--ticket", default="table")
    args = parser.parse_args()
    client = flight.connect(f"grpc://127.0.0.1:{args.port}")
    ticket = flight.Ticket(args.ticket.encode())
    results = {"warmup": [], "passes": []}
    timed = {}
    for kind, count in (("warmup", args.warmup), ("passes", args.passes)):
        cpu_before, wait_before = cpu_seconds(), run_queue_wait_seconds()
        for _ in range(count):
            result = one_pass(client, ticket)
            if result["rows"] != args.expect_rows:
                fail(f"pyarrow_client: received {result['rows']} rows, expected {args.expect_rows}")
            results[kind].append(result)
        cpu_after, wait_after = cpu_seconds(), run_queue_wait_seconds()
        timed = {"timedCpuSeconds": cpu_after - cpu_before}
        if wait_before is not None and wait_after is not None:
            timed["timedRunQueueWaitSeconds"] = wait_after - wait_before
    client.close()
    emit("result", **results, **timed, **usage())
    return 0


if __name__ == "__main__":
    sys.exit(main())
