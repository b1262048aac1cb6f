"""Generate the DoGet benchmark tables as Arrow IPC files (deterministic).

Usage: generate_tables.py --out-dir DIR --target-bytes N --batch-rows N

Writes, for each table ("fixed" and "strings"), DIR/doget-<table>-<target>.arrow (IPC file
format) and a manifest next to it (same name, ".json"). The manifest records the number of
rows, batches and the Arrow body bytes (sum of the record-batch message bodies), which every
benchmark scenario uses as "bytes delivered". A table is regenerated only when its manifest
does not match the requested parameters and this script's version, so repeated runs serve
byte-identical data without paying for generation again.

Prints one JSON line per table on stdout: {"table": ..., "path": ..., "manifest": {...}}.
"""

import argparse
import hashlib
import json
import os
import string
import sys

import numpy as np
import pyarrow as pa

# Bump when the generated data changes, so stale files are not reused.
GENERATOR_VERSION = 2
SEED = 20260521
STRING_POOL_SIZE = 1 << 16
STRING_MIN_BYTES = 20
STRING_MAX_BYTES = 60


def body_bytes(batch: pa.RecordBatch) -> int:
    """Length of the IPC message body of one record batch (what travels as FlightData.data_body)."""
    return pa.ipc.read_message(batch.serialize()).body.size


def fixed_width_batches(target_bytes: int, batch_rows: int):
    """4 x int64 columns; deterministic pseudo-random values; stops once the body reaches target_bytes."""
    rng = np.random.default_rng(SEED)
    schema = pa.schema([(f"c{i}", pa.int64(), False) for i in range(4)])
    total = 0
    row = 0
    while total < target_bytes:
        columns = [pa.array(np.arange(row, row + batch_rows, dtype=np.int64))]
        for _ in range(3):
            columns.append(pa.array(rng.integers(-(2**62), 2**62, size=batch_rows, dtype=np.int64)))
        batch = pa.RecordBatch.from_arrays(columns, schema=schema)
        body = body_bytes(batch)
        total += body
        row += batch_rows
        yield schema, batch, body


def string_pool(rng: np.random.Generator) -> pa.Array:
    """A pool of distinct ASCII strings of STRING_MIN_BYTES..STRING_MAX_BYTES bytes."""
    alphabet = np.frombuffer((string.ascii_letters + string.digits + " -_").encode(), dtype=np.uint8)
    lengths = rng.integers(STRING_MIN_BYTES, STRING_MAX_BYTES + 1, size=STRING_POOL_SIZE)
    chars = alphabet[rng.integers(0, len(alphabet), size=int(lengths.sum()))].tobytes()
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.StringArray.from_buffers(STRING_POOL_SIZE, pa.py_buffer(offsets.tobytes()), pa.py_buffer(chars))


def string_batches(target_bytes: int, batch_rows: int):
    """1 int64 + 2 utf8 columns (20-60 byte strings drawn from a fixed pool); stops at target_bytes."""
    rng = np.random.default_rng(SEED + 1)
    pool = string_pool(rng)
    schema = pa.schema([("id", pa.int64(), False), ("name", pa.utf8(), False), ("comment", pa.utf8(), False)])
    total = 0
    row = 0
    while total < target_bytes:
        ids = pa.array(np.arange(row, row + batch_rows, dtype=np.int64))
        name = pool.take(pa.array(rng.integers(0, STRING_POOL_SIZE, size=batch_rows)))
        comment = pool.take(pa.array(rng.integers(0, STRING_POOL_SIZE, size=batch_rows)))
        batch = pa.RecordBatch.from_arrays([ids, name, comment], schema=schema)
        body = body_bytes(batch)
        total += body
        row += batch_rows
        yield schema, batch, body


TABLES = {"fixed": fixed_width_batches, "strings": string_batches}


def script_digest() -> str:
    with open(__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def write_table(name: str, out_dir: str, target_bytes: int, batch_rows: int) -> dict:
    base = os.path.join(out_dir, f"doget-{name}-{target_bytes // (1 << 20)}MiB")
    path, manifest_path = base + ".arrow", base + ".json"
    wanted = {
        "table": name,
        "targetBytes": target_bytes,
        "batchRows": batch_rows,
        "generatorVersion": GENERATOR_VERSION,
        "generatorDigest": script_digest(),
        "pyarrowVersion": pa.__version__,
    }
    if os.path.exists(path) and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        if {k: manifest.get(k) for k in wanted} == wanted and os.path.getsize(path) == manifest.get("fileBytes"):
            return {"table": name, "path": path, "reused": True, "manifest": manifest}

    tmp = path + ".tmp"
    rows = batches = body = 0
    writer = None
    try:
        for schema, batch, batch_body in TABLES[name](target_bytes, batch_rows):
            if writer is None:
                writer = pa.ipc.new_file(tmp, schema)
            writer.write_batch(batch)
            rows += batch.num_rows
            batches += 1
            body += batch_body
        assert writer is not None
        writer.close()
        writer = None
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.remove(tmp)

    manifest = dict(wanted, rows=rows, batches=batches, bodyBytes=body, fileBytes=os.path.getsize(path))
    with open(manifest_path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=2)
    os.replace(manifest_path + ".tmp", manifest_path)
    return {"table": name, "path": path, "reused": False, "manifest": manifest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--target-bytes", type=int, required=True)
    parser.add_argument("--batch-rows", type=int, default=65536)
    parser.add_argument("--tables", default="fixed,strings")
    args = parser.parse_args()
    if args.target_bytes <= 0 or args.batch_rows <= 0:
        print("generate_tables: --target-bytes and --batch-rows must be positive", file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.tables.split(","):
        if name not in TABLES:
            print(f"generate_tables: unknown table {name!r} (known: {', '.join(TABLES)})", file=sys.stderr)
            return 2
        print(json.dumps(write_table(name, args.out_dir, args.target_bytes, args.batch_rows)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
