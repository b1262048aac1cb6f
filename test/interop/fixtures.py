"""Deterministic Arrow fixtures for the Flight interop tests.

Everything here is a pure function of its arguments: the same tables, the same
batches, the same nulls on every run and every machine. Both peers of the
interop tests (the pyarrow server and the pyarrow client driver) build their
expectations from these functions, and ``write_expected`` stores the same
tables as Arrow IPC *files* so the TypeScript side can decode them with
apache-arrow's own reader, independently of our Flight client.

Run as a script to write the fixture files and print a JSON summary::

    python test/interop/fixtures.py --out /tmp/fixtures
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import decimal
import functools
import json
import os
import sys
from collections.abc import Callable

import numpy as np
import pyarrow as pa

# Rows per batch of the all-types table. The 0 is deliberate: an empty batch in
# the middle of a stream must survive every hop.
BATCH_ROWS = (11, 0, 16, 9)

ALL_TYPES = "all-types"
ZERO_ROWS = "zero-rows"
SMALL = "small"
LARGE = "large"
VIEWS = "views"
DICT_DELTAS = "dict-deltas"

# Rows per batch of the large table: the first batch alone is over 4 MiB, so a
# compliant writer must slice it into FlightData messages of at most 2 MiB.
LARGE_BATCH_ROWS = (200_000, 100_000)

# Types pyarrow has no Python factory or array class for (interval year_month,
# day_time) are built through the Arrow C data interface, see _import_c_type.


class _ArrowSchema(ctypes.Structure):
    """The Arrow C data interface's ``struct ArrowSchema``."""


_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(_ArrowSchema))
_ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", _RELEASE),
    ("private_data", ctypes.c_void_p),
]


@_RELEASE
def _release_schema(schema):  # pragma: no cover - called by Arrow C++
    schema.contents.release = _RELEASE()


def _import_c_type(fmt: bytes) -> pa.DataType:
    """A DataType from its C data interface format string (e.g. b"tiM")."""
    c_schema = _ArrowSchema(
        format=fmt, name=b"", metadata=None, flags=2, n_children=0,
        children=None, dictionary=None, release=_release_schema, private_data=None,
    )
    return pa.DataType._import_from_c(ctypes.addressof(c_schema))


MONTH_INTERVAL = _import_c_type(b"tiM")
DAY_TIME_INTERVAL = _import_c_type(b"tiD")


def _is_null(row: int, salt: int) -> bool:
    """The null pattern: about one value in five, shifted per column."""
    return (row * 7 + salt * 3) % 5 == 2


def _vals(n: int, start: int, salt: int, make: Callable[[int], object]) -> list:
    return [None if _is_null(start + i, salt) else make(start + i) for i in range(n)]


def _extremes(lo: int, hi: int) -> Callable[[int], int]:
    """Row values cycling through the type's minimum, maximum and ordinary numbers."""
    def make(row: int) -> int:
        if row % 6 == 0:
            return lo
        if row % 6 == 1:
            return hi
        span = min(hi, 10_000) - max(lo, -10_000)
        return max(lo, -10_000) + (row * 7919) % span
    return make


_WORDS = ["", "a", "héllo", "日本語", "emoji 🚀", "tab\tand\nnewline", "x" * 40, "quote\"'", "nul\x00byte"]
_ZONES = {"s": "UTC", "ms": "Europe/Paris", "us": "America/New_York", "ns": "Asia/Kolkata"}
_EPOCH = dt.datetime(1970, 1, 1)


def _timestamps(n: int, start: int, salt: int, unit: str, tz: str | None) -> pa.Array:
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    # Spread over 1843..2120 (inside the int64 nanosecond range) with sub-second digits, negatives included.
    raw = _vals(n, start, salt, lambda r: (r * 250_000_123 - 4_000_000_000) * per_second + (r * 987_654_321) % per_second)
    return pa.array(raw, type=pa.int64()).cast(pa.timestamp(unit, tz=tz))


def _reinterpret(batch: pa.RecordBatch, target: pa.Schema) -> pa.RecordBatch:
    """``batch`` read as ``target`` (same physical layouts) through the C data interface.

    This is how columns whose types have no Python array class are built: their
    values are laid out in a fixed_size_binary carrier of the same width.
    """
    c_array = ctypes.create_string_buffer(80)  # sizeof(struct ArrowArray)
    c_schema = ctypes.create_string_buffer(72)  # sizeof(struct ArrowSchema)
    batch._export_to_c(ctypes.addressof(c_array), ctypes.addressof(c_schema))
    exported_schema = _ArrowSchema.from_address(ctypes.addressof(c_schema))
    exported_schema.release(ctypes.pointer(exported_schema))  # the target schema replaces it
    return pa.RecordBatch._import_from_c(ctypes.addressof(c_array), target)


def _interval_carrier(n: int, start: int, salt: int, width_ints: int) -> pa.Array:
    """Interval values as little-endian int32 groups in a fixed_size_binary array."""
    values = []
    for i in range(n):
        row = start + i
        ints = [((row + 1) * (k + 3) * 37 - 500) * (-1 if (row + k) % 3 == 0 else 1) for k in range(width_ints)]
        values.append(None if _is_null(row, salt) else np.array(ints, dtype="<i4").tobytes())
    return pa.array(values, type=pa.binary(4 * width_ints))


# Columns built as carriers and reinterpreted: name -> real type.
_REINTERPRETED = {"interval_year_month": MONTH_INTERVAL, "interval_day_time": DAY_TIME_INTERVAL}


def _dictionary(n: int, start: int, salt: int, batch_index: int, index_type: pa.DataType, ordered: bool) -> pa.Array:
    # Each batch has its own dictionary, so a stream carries dictionary replacements.
    words = [f"{w}-{batch_index}" for w in ("red", "green", "blue", "cyan", "magenta")]
    indices = _vals(n, start, salt, lambda r: (r * 3 + batch_index) % len(words))
    return pa.DictionaryArray.from_arrays(pa.array(indices, type=index_type), pa.array(words), ordered=ordered)


def _union(n: int, start: int, salt: int, dense: bool) -> pa.Array:
    type_ids = [(start + i) % 3 for i in range(n)]
    ints = _vals(n, start, salt, lambda r: r * 11 - 100)
    strs = _vals(n, start, salt + 1, lambda r: _WORDS[r % len(_WORDS)])
    bools = _vals(n, start, salt + 2, lambda r: r % 2 == 0)
    names = ["i", "s", "b"]
    if not dense:
        return pa.UnionArray.from_sparse(
            pa.array(type_ids, type=pa.int8()),
            [pa.array(ints, pa.int32()), pa.array(strs, pa.utf8()), pa.array(bools, pa.bool_())],
            field_names=names,
        )
    children: list[list] = [[], [], []]
    offsets = []
    for i, tid in enumerate(type_ids):
        offsets.append(len(children[tid]))
        children[tid].append((ints, strs, bools)[tid][i])
    return pa.UnionArray.from_dense(
        pa.array(type_ids, type=pa.int8()),
        pa.array(offsets, type=pa.int32()),
        [pa.array(children[0], pa.int32()), pa.array(children[1], pa.utf8()), pa.array(children[2], pa.bool_())],
        field_names=names,
    )


def _columns(n: int, start: int, batch_index: int) -> dict[str, pa.Array]:
    """The all-types columns for rows [start, start + n)."""
    cols: dict[str, pa.Array] = {}
    cols["id"] = pa.array(range(start, start + n), type=pa.int32())
    ints = [
        ("int8", pa.int8(), -(2**7), 2**7 - 1), ("int16", pa.int16(), -(2**15), 2**15 - 1),
        ("int32", pa.int32(), -(2**31), 2**31 - 1), ("int64", pa.int64(), -(2**63), 2**63 - 1),
        ("uint8", pa.uint8(), 0, 2**8 - 1), ("uint16", pa.uint16(), 0, 2**16 - 1),
        ("uint32", pa.uint32(), 0, 2**32 - 1), ("uint64", pa.uint64(), 0, 2**64 - 1),
    ]
    for salt, (name, t, lo, hi) in enumerate(ints):
        cols[name] = pa.array(_vals(n, start, salt, _extremes(lo, hi)), type=t)
    floats = [1.5, -2.25, 0.0, -0.0, float("inf"), float("-inf"), 65504.0, 6.103515625e-05, 1024.125]
    f16 = _vals(n, start, 9, lambda r: floats[r % len(floats)])
    cols["float16"] = pa.array(
        np.array([0 if v is None else v for v in f16], dtype=np.float16), type=pa.float16(),
        mask=np.array([v is None for v in f16], dtype=bool),
    )
    cols["float32"] = pa.array(_vals(n, start, 10, lambda r: floats[r % len(floats)] * 3.0e10 if r % 4 else 1.0e-30), pa.float32())
    cols["float64"] = pa.array(_vals(n, start, 11, lambda r: (r - 17) * 1.0e300 / 7 if r % 3 else 5e-324), pa.float64())
    cols["decimal128"] = pa.array(
        _vals(n, start, 12, lambda r: decimal.Decimal(f"{(-1) ** r * (r * 98765432109876543210 + 7)}e-9")),
        type=pa.decimal128(38, 9),
    )
    cols["decimal256"] = pa.array(
        _vals(n, start, 13, lambda r: decimal.Decimal(f"{(-1) ** r * (r * 10**50 + 12345)}e-12")),
        type=pa.decimal256(70, 12),
    )
    cols["bool"] = pa.array(_vals(n, start, 14, lambda r: r % 3 == 0), pa.bool_())
    cols["utf8"] = pa.array(_vals(n, start, 15, lambda r: _WORDS[r % len(_WORDS)]), pa.utf8())
    cols["large_utf8"] = pa.array(_vals(n, start, 16, lambda r: _WORDS[(r + 3) % len(_WORDS)] * 2), pa.large_utf8())
    cols["binary"] = pa.array(_vals(n, start, 18, lambda r: bytes(range(r % 7)) + b"\xff\x00"), pa.binary())
    cols["large_binary"] = pa.array(_vals(n, start, 19, lambda r: bytes([r % 256]) * (r % 5)), pa.large_binary())
    cols["fixed_size_binary"] = pa.array(_vals(n, start, 21, lambda r: (r * 1_000_003).to_bytes(5, "little")), pa.binary(5))
    cols["date32"] = pa.array(_vals(n, start, 22, lambda r: dt.date(1900, 1, 1) + dt.timedelta(days=r * 4099)), pa.date32())
    cols["date64"] = pa.array(_vals(n, start, 23, lambda r: dt.date(2262, 4, 11) - dt.timedelta(days=r * 5003)), pa.date64())
    cols["time32_s"] = pa.array(_vals(n, start, 24, lambda r: (r * 3607) % 86400), pa.int32()).cast(pa.time32("s"))
    cols["time32_ms"] = pa.array(_vals(n, start, 25, lambda r: (r * 3_607_001) % 86_400_000), pa.int32()).cast(pa.time32("ms"))
    cols["time64_us"] = pa.array(_vals(n, start, 26, lambda r: (r * 3_607_000_123) % 86_400_000_000), pa.int64()).cast(pa.time64("us"))
    cols["time64_ns"] = pa.array(
        _vals(n, start, 27, lambda r: (r * 3_607_000_123_457) % 86_400_000_000_000), pa.int64()
    ).cast(pa.time64("ns"))
    for salt, unit in enumerate(("s", "ms", "us", "ns")):
        cols[f"timestamp_{unit}"] = _timestamps(n, start, 28 + salt, unit, None)
        cols[f"timestamp_{unit}_tz"] = _timestamps(n, start, 32 + salt, unit, _ZONES[unit])
        cols[f"duration_{unit}"] = pa.array(
            _vals(n, start, 36 + salt, lambda r: (r * 86_399_999_937 + 1) * (-1) ** r), pa.int64()
        ).cast(pa.duration(unit))
    cols["interval_month_day_nano"] = pa.array(
        _vals(n, start, 40, lambda r: pa.MonthDayNano([r - 5, (r * 31) % 400 - 200, r * 1_000_000_007 - 9])),
        pa.month_day_nano_interval(),
    )
    cols["interval_year_month"] = _interval_carrier(n, start, 41, 1)
    cols["interval_day_time"] = _interval_carrier(n, start, 42, 2)
    cols["list_int32"] = pa.array(
        _vals(n, start, 43, lambda r: [None if (r + k) % 4 == 1 else r * k for k in range(r % 4)]), pa.list_(pa.int32())
    )
    cols["large_list_utf8"] = pa.array(
        _vals(n, start, 44, lambda r: [_WORDS[(r + k) % len(_WORDS)] for k in range(r % 3)]), pa.large_list(pa.utf8())
    )
    cols["fixed_size_list_float64"] = pa.array(
        _vals(n, start, 45, lambda r: [r * 0.5, None if r % 2 else -r * 1.25, 1e100]), pa.list_(pa.float64(), 3)
    )
    struct_type = pa.struct([
        pa.field("a", pa.int32()), pa.field("b", pa.utf8()),
        pa.field("c", pa.struct([pa.field("d", pa.bool_()), pa.field("e", pa.timestamp("ms"))])),
    ])
    cols["struct"] = pa.array(
        _vals(n, start, 46, lambda r: {
            "a": None if r % 4 == 3 else r * 101, "b": _WORDS[r % len(_WORDS)],
            "c": None if r % 5 == 4 else {"d": r % 2 == 1, "e": _EPOCH + dt.timedelta(milliseconds=r * 123_456_789)},
        }),
        struct_type,
    )
    cols["map_utf8_int32"] = pa.array(
        _vals(n, start, 47, lambda r: [(f"k{k}", None if k == 1 else r * k) for k in range(r % 4)]),
        pa.map_(pa.utf8(), pa.int32()),
    )
    cols["dense_union"] = _union(n, start, 48, dense=True)
    cols["sparse_union"] = _union(n, start, 51, dense=False)
    cols["dictionary_utf8"] = _dictionary(n, start, 54, batch_index, pa.int32(), ordered=False)
    cols["dictionary_int8_ordered"] = _dictionary(n, start, 55, batch_index, pa.int8(), ordered=True)
    cols["null"] = pa.nulls(n, pa.null())
    cols["all_null_int64"] = pa.nulls(n, pa.int64())
    cols["all_null_utf8"] = pa.nulls(n, pa.utf8())
    cols["all_null_list"] = pa.nulls(n, pa.list_(pa.float32()))
    return cols


def all_types_schema() -> pa.Schema:
    """The schema of the all-types table (with schema and field metadata)."""
    return all_types_batches()[0].schema


def all_types_batches() -> list[pa.RecordBatch]:
    """The all-types table as its batches, sizes ``BATCH_ROWS`` (one batch is empty)."""
    batches = []
    start = 0
    schema = None
    for index, rows in enumerate(BATCH_ROWS):
        cols = _columns(rows, start, index)
        if schema is None:
            fields = []
            for name, array in cols.items():
                field = pa.field(name, _REINTERPRETED.get(name, array.type), nullable=(name != "id"))
                if name == "id":
                    field = field.with_metadata({"role": "row number"})
                fields.append(field)
            schema = pa.schema(fields, metadata={"fixture": ALL_TYPES, "batches": ",".join(map(str, BATCH_ROWS))})
        carrier = pa.record_batch(list(cols.values()), names=list(cols.keys()))
        batches.append(_reinterpret(carrier, schema))
        start += rows
    return batches


def all_types_table() -> pa.Table:
    """The all-types table (one chunk per batch of ``all_types_batches``)."""
    batches = all_types_batches()
    return pa.Table.from_batches(batches, schema=batches[0].schema)


def zero_rows_table() -> pa.Table:
    """A table with the all-types schema, no rows and no batches."""
    return pa.Table.from_batches([], schema=all_types_schema())


def small_schema() -> pa.Schema:
    """A two-column schema used for DoPut and DoExchange scenarios."""
    return pa.schema([pa.field("x", pa.int64()), pa.field("label", pa.utf8())])


def small_batches(count: int = 3, rows: int = 4) -> list[pa.RecordBatch]:
    """``count`` batches of ``rows`` rows of the small schema; values depend only on position."""
    out = []
    for b in range(count):
        xs = [b * 1000 + i for i in range(rows)]
        labels = [None if (b + i) % 3 == 2 else f"b{b}r{i}" for i in range(rows)]
        out.append(pa.record_batch([pa.array(xs, pa.int64()), pa.array(labels, pa.utf8())], schema=small_schema()))
    return out


def doubled(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The DoExchange "double" transform: x -> 2x, labels unchanged."""
    x = batch.column(0)
    return pa.record_batch([pa.array([None if v is None else v * 2 for v in x.to_pylist()], pa.int64()), batch.column(1)],
                           schema=batch.schema)


def large_batches() -> list[pa.RecordBatch]:
    """Batches of sizes ``LARGE_BATCH_ROWS``: int64 ``x`` and utf8 ``s``, a few nulls."""
    schema = pa.schema([pa.field("x", pa.int64()), pa.field("s", pa.utf8())], metadata={"fixture": LARGE})
    out = []
    start = 0
    for rows in LARGE_BATCH_ROWS:
        xs = np.arange(start, start + rows, dtype=np.int64) * 7 - 1_000_000
        strings = [None if i % 1000 == 999 else f"row-{i:07d}" for i in range(start, start + rows)]
        out.append(pa.record_batch([pa.array(xs), pa.array(strings, pa.utf8())], schema=schema))
        start += rows
    return out


def views_batches() -> list[pa.RecordBatch]:
    """The view types (Arrow 1.4 format), kept apart from all-types: string_view and
    binary_view with inline (<= 12 bytes) and out-of-line values, in two batches."""
    out = []
    start = 0
    for rows in (7, 5):
        utf8 = _vals(rows, start, 17, lambda r: _WORDS[(r + 5) % len(_WORDS)] * (r % 3))
        binary = _vals(rows, start, 20, lambda r: bytes([(r * 13) % 256]) * (r % 20))
        out.append(pa.record_batch(
            [pa.array(range(start, start + rows), pa.int32()), pa.array(utf8, pa.string_view()),
             pa.array(binary, pa.binary_view())],
            names=["id", "utf8_view", "binary_view"],
        ))
        start += rows
    return out


def dict_deltas_batches() -> list[pa.RecordBatch]:
    """Batches whose dictionary grows: each one's dictionary extends the previous one's,
    so an IPC writer with ``emit_dictionary_deltas`` sends delta dictionary batches."""
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
    out = []
    start = 0
    for k, rows in enumerate((5, 6, 0, 7)):
        size = 2 + k
        indices = _vals(rows, start, 3, lambda r: (r * 5) % size)
        column = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int16()), pa.array(words[:size]))
        out.append(pa.record_batch([pa.array(range(start, start + rows), pa.int32()), column], names=["id", "word"]))
        start += rows
    return out


@functools.cache
def tables() -> dict[str, pa.Table]:
    """Every named fixture table (built once per process; tables are immutable)."""
    return {
        ALL_TYPES: all_types_table(),
        ZERO_ROWS: zero_rows_table(),
        SMALL: pa.Table.from_batches(small_batches()),
        LARGE: pa.Table.from_batches(large_batches()),
        VIEWS: pa.Table.from_batches(views_batches()),
        DICT_DELTAS: pa.Table.from_batches(dict_deltas_batches()),
    }


def decode_dictionaries(table: pa.Table) -> pa.Table:
    """``table`` with every dictionary column replaced by its decoded values.

    Two streams of the same data may encode dictionaries differently (one
    dictionary per batch, deltas, or one unified dictionary); comparing the
    decoded tables, plus the schemas separately, checks values and types without
    depending on that choice.
    """
    columns = []
    for field, column in zip(table.schema, table.columns):
        columns.append(column.cast(field.type.value_type) if pa.types.is_dictionary(field.type) else column)
    return pa.Table.from_arrays(columns, names=table.schema.names)


def compare_tables(got: pa.Table, expected: pa.Table) -> dict[str, object]:
    """How ``got`` compares with ``expected``, as JSON-ready facts for the TypeScript side.

    ``equals``: same values (dictionaries decoded), ``schemaEquals``: same schema
    including metadata, ``exactEquals``: ``Table.equals`` on the raw tables
    (dictionary encodings included).
    """
    schema_equals = got.schema.equals(expected.schema, check_metadata=True)
    same_shape = got.schema.names == expected.schema.names and got.num_rows == expected.num_rows
    values_equal = same_shape and schema_equals and decode_dictionaries(got).equals(decode_dictionaries(expected))
    first_difference = None
    if not values_equal and same_shape and schema_equals:
        for name in got.schema.names:
            if not decode_dictionaries(got.select([name])).equals(decode_dictionaries(expected.select([name]))):
                first_difference = name
                break
    return {
        "equals": bool(values_equal),
        "schemaEquals": bool(schema_equals),
        "exactEquals": bool(got.equals(expected)),
        "rows": got.num_rows,
        "expectedRows": expected.num_rows,
        "firstDifferentColumn": first_difference,
        "schema": None if schema_equals else str(got.schema),
    }


def write_expected(out_dir: str) -> dict[str, object]:
    """Write every fixture as an Arrow IPC file ``<name>.arrow`` in ``out_dir``; return a summary.

    The IPC file format allows one dictionary per field, so dictionaries are
    unified first: the decoded values are the same, the encoding differs.
    """
    os.makedirs(out_dir, exist_ok=True)
    summary: dict[str, object] = {}
    for name, table in tables().items():
        path = os.path.join(out_dir, f"{name}.arrow")
        unified = table.unify_dictionaries()
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            for batch in unified.to_batches():
                writer.write_batch(batch)
        summary[name] = {
            "path": path,
            "rows": table.num_rows,
            "batchRows": [b.num_rows for b in table.to_batches()],
            "columns": table.schema.names,
            "nullCounts": [table.column(i).null_count for i in range(table.num_columns)],
        }
    return summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the <name>.arrow files")
    args = parser.parse_args(argv)
    print(json.dumps({"event": "fixtures", "tables": write_expected(args.out)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
