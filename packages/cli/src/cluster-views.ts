/**
 * Terminal views of the planner's JSON answers (`list_datasets`, `describe`, `status`,
 * `list_workers`). The renderers read fields by name and tolerate missing ones (shown
 * as `-`), so a planner newer than this CLI still prints something sensible; `--json`
 * always passes the planner's document through unchanged.
 */
import { CliError } from "./cli-error.js";
import { formatBytes } from "./option-values.js";
import { formatTextTable } from "./text-table.js";

type Json = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The records of a JSON array answer. @throws CliError CLI_BAD_RESPONSE when it is not an array of objects. */
export function recordsOf(value: unknown, what: string): Json[] {
  const list = isRecord(value) && Array.isArray(value[what]) ? value[what] : value;
  if (!Array.isArray(list) || !list.every(isRecord)) {
    throw new CliError("CLI_BAD_RESPONSE", `the planner's ${what} answer is not a list of records`);
  }
  return list;
}

function field(record: Json, ...names: string[]): unknown {
  for (const name of names) if (record[name] !== undefined && record[name] !== null) return record[name];
  return undefined;
}

function text(record: Json, ...names: string[]): string {
  const value = field(record, ...names);
  if (value === undefined) return "-";
  if (Array.isArray(value)) return value.map(String).join(",");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function count(record: Json, ...names: string[]): string {
  const value = field(record, ...names);
  if (Array.isArray(value)) return String(value.length);
  return typeof value === "number" ? value.toLocaleString("en-US") : "-";
}

function bytes(record: Json, ...names: string[]): string {
  const value = field(record, ...names);
  return typeof value === "number" ? formatBytes(value) : "-";
}

function time(record: Json, ...names: string[]): string {
  const value = field(record, ...names);
  if (typeof value === "number") return new Date(value).toISOString().replace(/\.\d+Z$/, "Z");
  return typeof value === "string" ? value : "-";
}

/** `ls`: one row per dataset. */
export function renderDatasets(answer: unknown): string {
  const datasets = recordsOf(answer, "datasets");
  return formatTextTable(
    [
      { header: "DATASET" },
      { header: "VERSION", align: "right" },
      { header: "SHARDS", align: "right" },
      { header: "ROWS", align: "right" },
      { header: "BYTES", align: "right" },
      { header: "CREATED" },
    ],
    datasets.map((d) => [
      text(d, "name", "dataset"),
      text(d, "version"),
      count(d, "shardCount", "shards"),
      count(d, "totalRows", "rows"),
      bytes(d, "totalBytes", "bytes"),
      time(d, "createdAt", "created"),
    ]),
  );
}

/** `ls <dataset>` (describe): the version's shards and where their replicas are. */
export function renderDescribe(answer: unknown): string {
  if (!isRecord(answer)) throw new CliError("CLI_BAD_RESPONSE", "the planner's describe answer is not a record");
  const head =
    `${text(answer, "name", "dataset")} version ${text(answer, "version")}: ` +
    `${count(answer, "totalRows", "rows")} rows, ${bytes(answer, "totalBytes", "bytes")}, ` +
    `${count(answer, "shards", "shardCount")} shard(s), created ${time(answer, "createdAt", "created")}\n`;
  const fields = field(answer, "fields", "schema");
  const columns = Array.isArray(fields)
    ? `columns: ${fields.map((f) => (isRecord(f) ? `${text(f, "name")} ${text(f, "type")}` : String(f))).join(", ")}\n`
    : "";
  const shards = Array.isArray(answer["shards"]) ? answer["shards"].filter(isRecord) : [];
  const table = formatTextTable(
    [
      { header: "INDEX", align: "right" },
      { header: "SHARD" },
      { header: "ROWS", align: "right" },
      { header: "BYTES", align: "right" },
      { header: "REPLICAS" },
      { header: "DIGEST" },
    ],
    shards.map((s) => [
      text(s, "index"),
      text(s, "id", "shardId"),
      count(s, "rows"),
      bytes(s, "bytes"),
      replicaText(field(s, "replicas")),
      text(s, "digest").slice(0, 20),
    ]),
  );
  return `${head}${columns}${table}`;
}

function replicaText(value: unknown): string {
  if (!Array.isArray(value)) return "-";
  return value
    .map((r) => {
      if (!isRecord(r)) return String(r);
      const id = text(r, "workerId", "id");
      const zone = field(r, "zone");
      const live = field(r, "live", "alive");
      return `${id}${zone === undefined ? "" : `@${String(zone)}`}${live === false ? "(down)" : ""}`;
    })
    .join(" ");
}

/** Replicas held per worker id, counted from `describe` answers. */
export function replicasByWorker(describes: readonly unknown[]): Map<string, number> {
  const held = new Map<string, number>();
  for (const answer of describes) {
    if (!isRecord(answer) || !Array.isArray(answer["shards"])) continue;
    for (const shard of answer["shards"].filter(isRecord)) {
      const replicas = Array.isArray(shard["replicas"]) ? shard["replicas"] : [];
      for (const replica of replicas) {
        const id = isRecord(replica) ? text(replica, "workerId", "id") : String(replica);
        held.set(id, (held.get(id) ?? 0) + 1);
      }
    }
  }
  return held;
}

/**
 * `status`: workers (zone, load, shards held), zones, datasets with replica counts,
 * under-replicated shards.
 * @param describes `describe` answers of the datasets, for the shards each worker holds.
 */
export function renderStatus(answer: unknown, describes: readonly unknown[] = []): string {
  if (!isRecord(answer)) throw new CliError("CLI_BAD_RESPONSE", "the planner's status answer is not a record");
  const held = replicasByWorker(describes);
  const sections: string[] = [];
  const workers = (Array.isArray(answer["workers"]) ? answer["workers"].filter(isRecord) : []).map((w) => ({
    ...w,
    shards: held.get(text(w, "id", "workerId")) ?? 0,
  }));
  const lost = Array.isArray(answer["lostWorkers"]) ? answer["lostWorkers"].filter(isRecord) : [];
  const lostText = lost.length === 0 ? "" : `; lost: ${lost.map((w) => text(w, "id")).join(", ")}`;
  sections.push(`Workers (${workers.length} live${lostText})\n${renderWorkerTable(workers)}`);
  const zones = answer["zones"];
  if (isRecord(zones)) {
    const replicasByZone = new Map<string, number>();
    for (const w of workers) replicasByZone.set(text(w, "zone"), (replicasByZone.get(text(w, "zone")) ?? 0) + w.shards);
    const rows = Object.entries(zones).map(([zone, value]) => [
      zone,
      typeof value === "number" ? String(value) : isRecord(value) ? count(value, "workers") : "-",
      String(replicasByZone.get(zone) ?? 0),
    ]);
    sections.push(
      `Zones\n${formatTextTable([{ header: "ZONE" }, { header: "WORKERS", align: "right" }, { header: "REPLICAS", align: "right" }], rows)}`,
    );
  }
  const under = field(answer, "underReplicated", "under_replicated");
  const underList = Array.isArray(under) ? under.filter(isRecord) : [];
  const underByDataset = new Map<string, number>();
  for (const shard of underList) {
    const name = text(shard, "dataset");
    underByDataset.set(name, (underByDataset.get(name) ?? 0) + 1);
  }
  const datasets = (Array.isArray(answer["datasets"]) ? answer["datasets"].filter(isRecord) : []).map((d) => ({
    ...d,
    underReplicated: underByDataset.get(text(d, "name")) ?? 0,
  }));
  const wanted = field(answer, "replicas");
  const header =
    typeof wanted === "number"
      ? `Datasets (${datasets.length}; ${wanted} replicas wanted)`
      : `Datasets (${datasets.length})`;
  sections.push(`${header}\n${renderDatasetStatus(datasets)}`);
  sections.push(
    `Under-replicated shards (${underList.length})\n${formatTextTable(
      [
        { header: "DATASET" },
        { header: "VERSION", align: "right" },
        { header: "INDEX", align: "right" },
        { header: "SHARD" },
        { header: "LIVE REPLICAS" },
        { header: "MISSING", align: "right" },
      ],
      underList.map((s) => [
        text(s, "dataset"),
        text(s, "version"),
        text(s, "index"),
        text(s, "shardId", "id"),
        replicaText(field(s, "liveReplicas")),
        text(s, "missing"),
      ]),
    )}`,
  );
  return sections.join("\n");
}

function renderDatasetStatus(datasets: readonly Json[]): string {
  return formatTextTable(
    [
      { header: "DATASET" },
      { header: "VERSION", align: "right" },
      { header: "SHARDS", align: "right" },
      { header: "REPLICAS", align: "right" },
      { header: "UNDER-REPLICATED", align: "right" },
      { header: "ROWS", align: "right" },
      { header: "BYTES", align: "right" },
    ],
    datasets.map((d) => [
      text(d, "name", "dataset"),
      text(d, "version"),
      count(d, "shards", "shardCount"),
      count(d, "replicas", "replicaCount"),
      count(d, "underReplicated"),
      count(d, "rows", "totalRows"),
      bytes(d, "bytes", "totalBytes"),
    ]),
  );
}

/** Workers as a table: id, zone, location, load, shards held, capacity. */
export function renderWorkerTable(workers: readonly Json[]): string {
  return formatTextTable(
    [
      { header: "WORKER" },
      { header: "ZONE" },
      { header: "LOCATION" },
      { header: "LOAD", align: "right" },
      { header: "SHARDS", align: "right" },
      { header: "CAPACITY", align: "right" },
      { header: "EXPIRES" },
    ],
    workers.map((w) => [
      text(w, "id", "workerId"),
      text(w, "zone"),
      text(w, "locations", "location"),
      loadText(field(w, "load")),
      count(w, "shards", "shardCount"),
      bytes(w, "capacity"),
      time(w, "expiresAt"),
    ]),
  );
}

function loadText(value: unknown): string {
  return typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : "-";
}
