"""DoPut benchmark server, reference ceiling: pyarrow.flight (Arrow C++ Flight) receiving uploads.

Usage: pyarrow_put_server.py

Binds 127.0.0.1 on a free port, prints {"event": "ready", "port": N}, reads every DoPut to the
end counting Arrow body bytes, answers one PutResult whose app_metadata is the PutAck JSON of
put-events.ts. When stdin closes it stops and prints {"event": "exit"}.
"""

import json
import sys
import time

import pyarrow.flight as flight


class PutServer(flight.FlightServerBase):
    """Counts what each DoPut carries."""

    def __init__(self):
        super().__init__("grpc://127.0.0.1:0")

    def do_put(self, context, descriptor, reader, writer):
        start = time.perf_counter()
        cpu = time.process_time()
        body_bytes = 0
        messages = 1  # the schema
        for chunk in reader:
            if chunk.data is not None:
                body_bytes += chunk.data.nbytes
                messages += 1
        ack = {
            "bodyBytes": body_bytes,
            "messages": messages,
            "seconds": time.perf_counter() - start,
            "cpuSeconds": time.process_time() - cpu,
        }
        writer.write(json.dumps(ack).encode())


def main() -> int:
    server = PutServer()
    sys.stdout.write(json.dumps({"event": "ready", "port": server.port}) + "\n")
    sys.stdout.flush()
    while sys.stdin.buffer.read(65536):
        pass
    server.shutdown()
    sys.stdout.write(json.dumps({"event": "exit"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
