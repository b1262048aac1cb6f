/**
 * What the worker needs to know about one Arrow IPC message without decoding its
 * body: its kind, its body length and, for record batches, its row count.
 */
import { MessageHeader } from "apache-arrow";
import { Message } from "apache-arrow/ipc/metadata/message";
import { InvalidShardStreamError } from "./worker-errors.js";

/** Kinds of IPC messages a shard file holds. */
export type IpcMessageKind = "schema" | "dictionary" | "batch";

/** Facts read from an IPC `Message` flatbuffer. */
export interface IpcMessageInfo {
  readonly kind: IpcMessageKind;
  /** Length of the message body in bytes, as the header declares it. */
  readonly bodyLength: number;
  /** Rows of a record batch; 0 for other kinds. */
  readonly rows: number;
}

/**
 * Read kind, body length and rows from an IPC `Message` flatbuffer (no continuation
 * marker, no length prefix; trailing zero padding allowed).
 * @throws InvalidShardStreamError when the bytes are not a Schema, DictionaryBatch or
 * RecordBatch message, or declare an impossible length.
 */
export function inspectIpcHeader(header: Uint8Array): IpcMessageInfo {
  if (header.byteLength < 8) {
    throw new InvalidShardStreamError(`IPC message header of ${header.byteLength} bytes is too short`);
  }
  let message: Message;
  try {
    message = Message.decode(header);
  } catch (cause) {
    throw new InvalidShardStreamError("IPC message header is not a valid flatbuffer", { cause });
  }
  const bodyLength = Number(message.bodyLength);
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw new InvalidShardStreamError(`IPC message declares an invalid body length ${String(message.bodyLength)}`);
  }
  switch (message.headerType) {
    case MessageHeader.Schema:
      return { kind: "schema", bodyLength, rows: 0 };
    case MessageHeader.DictionaryBatch:
      return { kind: "dictionary", bodyLength, rows: 0 };
    case MessageHeader.RecordBatch: {
      let rows: number;
      try {
        rows = Number((message.header() as { length: number | bigint }).length);
      } catch (cause) {
        throw new InvalidShardStreamError("IPC record batch header does not parse", { cause });
      }
      if (!Number.isSafeInteger(rows) || rows < 0) {
        throw new InvalidShardStreamError(`IPC record batch declares an invalid row count ${rows}`);
      }
      return { kind: "batch", bodyLength, rows };
    }
    default:
      throw new InvalidShardStreamError(`unsupported IPC message type ${String(message.headerType)}`);
  }
}
