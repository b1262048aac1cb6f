"""A pyarrow reader for the planner-CPU benchmark: `rounds` times, get_flight_info then
DoGet of every endpoint at its first location, reading every batch. Prints one JSON line.

    python reader.py <planner-uri> <dataset> <rounds>
"""

import json
import resource
import sys
import time

import pyarrow.flight as flight


def main() -> int:
    uri, dataset, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    planner = flight.connect(uri)
    workers: dict[str, flight.FlightClient] = {}
    rows = 0
    nbytes = 0
    start_usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for _ in range(rounds):
        info = planner.get_flight_info(flight.FlightDescriptor.for_path(dataset))
        for endpoint in info.endpoints:
            location = endpoint.locations[0].uri
            location = location.decode() if isinstance(location, bytes) else location
            client = workers.get(location)
            if client is None:
                client = workers[location] = flight.connect(location)
            for chunk in client.do_get(endpoint.ticket):
                rows += chunk.data.num_rows
                nbytes += chunk.data.nbytes
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime + usage.ru_stime) - (start_usage.ru_utime + start_usage.ru_stime)
    print(json.dumps({"rows": rows, "bytes": nbytes, "seconds": seconds, "cpu": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
