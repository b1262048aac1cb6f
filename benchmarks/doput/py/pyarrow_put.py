"""DoPut benchmark client, reference: pyarrow.flight (Arrow C++ Flight) uploading a 4 x int64 table.

Usage: pyarrow_put.py --port N --rows N --batch-rows N --warmup N --passes N

The same table and batches as put-client.ts (column k holds i * (k + 1), int64, no nulls),
uploaded warmup + passes times, each as one do_put of rows / batch-rows record batches.
Prints one {"event": "result", ...} line (see put-events.ts). Exits 1 if the server's count of
body bytes differs from the table's.
"""

import argparse
import json
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight


def upload_once(client, table, batches):
    start = time.perf_counter()
    cpu = time.process_time()
    writer, reader = client.do_put(flight.FlightDescriptor.for_path("bench"), table.schema)
    for batch in batches:
        writer.write_batch(batch)
    writer.done_writing()
    ack = reader.read()
    writer.close()
    seconds = time.perf_counter() - start
    if ack is None:
        raise RuntimeError("the server sent no PutResult")
    server = json.loads(ack.to_pybytes())
    return {"seconds": seconds, "cpuSeconds": time.process_time() - cpu, "server": server}


def main() -> int:
    parser = argparse.ArgumentParser(description="pyarrow.flight DoPut benchmark client")
    for name in ("--port", "--rows", "--batch-rows", "--warmup", "--passes"):
        parser.add_argument(name, type=int, required=True)
    args = parser.parse_args()
    index = np.arange(args.rows, dtype=np.int64)
    table = pa.table({name: index * (k + 1) for k, name in enumerate("abcd")})
    batches = table.to_batches(max_chunksize=args.batch_rows)
    body_bytes = args.rows * 8 * 4
    client = flight.FlightClient(f"grpc://127.0.0.1:{args.port}")
    client.wait_for_available(timeout=30)
    results = {"warmup": [], "passes": []}
    for kind, count in (("warmup", args.warmup), ("passes", args.passes)):
        for _ in range(count):
            result = upload_once(client, table, batches)
            if result["server"]["bodyBytes"] != body_bytes:
                sys.stderr.write(
                    f"pyarrow_put: the server received {result['server']['bodyBytes']} body bytes, "
                    f"the table has {body_bytes}\n"
                )
                return 1
            results[kind].append(result)
    client.close()
    event = {"event": "result", "rows": args.rows, "bodyBytes": body_bytes, "batches": len(batches), **results}
    sys.stdout.write(json.dumps(event) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
