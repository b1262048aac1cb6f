/**
 * Structural facts of an IPC Schema message that let the worker check incoming
 * record batches without decoding their bodies.
 */
import type { Field, Schema } from "apache-arrow";
import { DataType } from "apache-arrow";
import { Message } from "apache-arrow/ipc/metadata/message";
import { InvalidShardStreamError } from "./worker-errors.js";

/** What the writer checks batches against. */
export interface SchemaShape {
  readonly schema: Schema;
  /** Field nodes a record batch of this schema carries (one per field, depth first). */
  readonly nodeCount: number;
  /** Ids of the dictionaries the schema's fields use. */
  readonly dictionaryIds: ReadonlySet<number>;
}

function countNodes(field: Field, ids: Set<number>): number {
  if (DataType.isDictionary(field.type)) {
    ids.add(field.type.id);
    return 1;
  }
  let n = 1;
  for (const child of field.type.children ?? []) n += countNodes(child, ids);
  return n;
}

/**
 * Decode an IPC Schema message header and compute its {@link SchemaShape}.
 * @throws InvalidShardStreamError when the header is not a Schema message arrow-js can read.
 */
export function schemaShapeFromHeader(header: Uint8Array): SchemaShape {
  let schema: Schema;
  try {
    const message = Message.decode(header);
    if (!message.isSchema()) throw new Error("not a Schema message");
    schema = message.header();
  } catch (cause) {
    throw new InvalidShardStreamError("the Schema message does not parse", { cause });
  }
  const ids = new Set<number>();
  let nodeCount = 0;
  for (const field of schema.fields) nodeCount += countNodes(field, ids);
  return { schema, nodeCount, dictionaryIds: ids };
}

/**
 * Check a record batch or dictionary batch header against the stream's schema.
 * @throws InvalidShardStreamError naming the mismatch.
 */
export function checkAgainstShape(header: Uint8Array, shape: SchemaShape): void {
  let message: Message;
  try {
    message = Message.decode(header);
  } catch (cause) {
    throw new InvalidShardStreamError("IPC message header does not parse", { cause });
  }
  if (message.isRecordBatch()) {
    const nodes = message.header().nodes.length;
    if (nodes !== shape.nodeCount) {
      throw new InvalidShardStreamError(
        `record batch has ${nodes} field nodes but the stream's schema needs ${shape.nodeCount}: schema changed mid-stream?`,
      );
    }
  } else if (message.isDictionaryBatch()) {
    const id = message.header().id;
    if (!shape.dictionaryIds.has(id)) {
      throw new InvalidShardStreamError(`dictionary batch for id ${id}, which the stream's schema does not use`);
    }
  }
}
