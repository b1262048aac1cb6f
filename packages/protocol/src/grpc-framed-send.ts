/**
 * Outgoing messages that already carry gRPC's 5-byte length prefix, so grpc-js sends them
 * without copying.
 *
 * grpc-js frames every outgoing message by allocating `5 + length` bytes and copying the
 * serialized message behind the prefix: on the server in
 * `BaseServerInterceptingCall.serializeMessage` (`build/src/server-interceptors.js`), on
 * the client in the compression filter's `IdentityHandler.writeMessage`
 * (`build/src/compression-filter.js`), both verified in grpc-js 1.14.7. For FlightData
 * that is a copy of every body byte and one fresh ArrayBuffer per message, 35-38% of a
 * serving process's CPU samples in `benchmarks/results/doget-analysis.md`.
 *
 * {@link allocateGrpcMessage} therefore allocates each message we encode with five spare
 * bytes in front, writes the prefix there, and remembers the framed view. Two narrow hooks,
 * installed once per process by {@link installFramedSend}, hand that view to HTTP/2 as it
 * is:
 * - server: `serializeMessage` returns the framed view when the call's serializer is our
 *   pass-through one and the message is one we framed;
 * - client: `CompressionFilter.sendMessage` does the same when the call sends without
 *   compression (grpc-js's identity handler), after the same size check grpc-js makes.
 * Every other message, and every message of other grpc-js users in the process, takes
 * grpc-js's own path unchanged. Before hooking, each original is probed with a small
 * message and must produce exactly the framing it is replaced with; if a grpc-js upgrade
 * changes either, nothing is hooked and one warning is logged.
 *
 * Ownership: a framed message is written by HTTP/2 after the call returns, so its bytes
 * must not change once it is sent. Every producer allocates a fresh message per send.
 */
import { createRequire } from "node:module";

/** gRPC's length prefix: a compressed flag byte and a 32-bit big-endian length. */
const PREFIX_BYTES = 5;

/** message -> the same bytes preceded by their written gRPC prefix (one ArrayBuffer). */
const framedViews = new WeakMap<Uint8Array, Buffer>();

/**
 * Allocate an outgoing message of `size` bytes whose byte `alignedPos` sits on an 8-byte
 * boundary of its ArrayBuffer (so an in-process decode of it is zero-copy), preceded by
 * its gRPC prefix so that grpc-js can send it without copying. The content is
 * uninitialized: the caller must write every byte, and must not change them once sent.
 *
 * @param block - memory to place the message in (at its start), at least `size + 12`
 *   bytes; a new allocation when omitted.
 */
export function allocateGrpcMessage(size: number, alignedPos: number, block?: ArrayBuffer): Buffer {
  const raw = block === undefined ? Buffer.allocUnsafe(PREFIX_BYTES + size + 7) : Buffer.from(block);
  const shift = (8 - ((raw.byteOffset + PREFIX_BYTES + Math.max(alignedPos, 0)) & 7)) & 7;
  if (shift + PREFIX_BYTES + size > raw.length) throw new RangeError("block too small for the message");
  const framed = raw.subarray(shift, shift + PREFIX_BYTES + size);
  framed[0] = 0;
  framed.writeUInt32BE(size, 1);
  const message = framed.subarray(PREFIX_BYTES);
  framedViews.set(message, framed);
  return message;
}

/** The message with its gRPC prefix in front, if it was made by {@link allocateGrpcMessage}. */
export function grpcFramedView(message: unknown): Buffer | undefined {
  return message instanceof Uint8Array ? framedViews.get(message) : undefined;
}

/** Where the hooks report that grpc-js is not as expected. */
export type FramedSendWarning = (message: string, fields: Readonly<Record<string, unknown>>) => void;

type Serialize = (value: Uint8Array) => Buffer;
type ServerSerializeMessage = (this: { handler: { serialize: Serialize } }, value: unknown) => Buffer;

interface ResolvedMessage {
  readonly message: Buffer;
  readonly flags?: number;
}
type ClientSendMessage = (
  this: { sendCompression: unknown; maxSendMessageLength: number },
  message: Promise<ResolvedMessage> | ResolvedMessage,
) => Promise<ResolvedMessage>;

let installed: "no" | "yes" | "failed" = "no";

/**
 * Install both hooks (once per process; later calls do nothing). `ourSerializer` is the
 * pass-through serializer Flight calls are registered with: the server hook only applies
 * to calls using it. Never throws: a grpc-js that is not shaped as expected gets one
 * warning and keeps its own copies.
 */
export function installFramedSend(ourSerializer: Serialize, warn: FramedSendWarning): void {
  if (installed !== "no") return;
  const problems: string[] = [];
  const require = createRequire(import.meta.url);
  const server = hookServer(require, ourSerializer);
  if (server !== undefined) problems.push(`server: ${server}`);
  const client = hookClient(require, warn);
  if (client !== undefined) problems.push(`client: ${client}`);
  installed = problems.length === 0 ? "yes" : "failed";
  if (problems.length > 0) {
    warn("grpc-js internals not as expected; outgoing messages are copied once more", { problems });
  }
}

/** Whether both hooks are in place (for tests and diagnostics). */
export function framedSendInstalled(): boolean {
  return installed === "yes";
}

function probeBytes(): Buffer {
  return Buffer.from([0xfa, 0xce, 0x0b]);
}

function isExpectedFraming(out: unknown, message: Buffer): boolean {
  if (!Buffer.isBuffer(out) || out.length !== PREFIX_BYTES + message.length) return false;
  return out[0] === 0 && out.readUInt32BE(1) === message.length && out.subarray(PREFIX_BYTES).equals(message);
}

function loadPrototype(require: NodeJS.Require, path: string, className: string): Record<string, unknown> | string {
  let module: unknown;
  try {
    module = require(path);
  } catch (error) {
    return `cannot load ${path} (${error instanceof Error ? error.message : String(error)})`;
  }
  const ctor = typeof module === "object" && module !== null ? Reflect.get(module, className) : undefined;
  if (typeof ctor !== "function") return `${path} has no class ${className}`;
  return ctor.prototype as Record<string, unknown>;
}

/** Returns undefined when hooked, or what was wrong. */
function hookServer(require: NodeJS.Require, ourSerializer: Serialize): string | undefined {
  const proto = loadPrototype(require, "@grpc/grpc-js/build/src/server-interceptors.js", "BaseServerInterceptingCall");
  if (typeof proto === "string") return proto;
  const original = proto["serializeMessage"];
  if (typeof original !== "function") return "BaseServerInterceptingCall.serializeMessage is missing";
  const serializeMessage = original as ServerSerializeMessage;
  const probe = probeBytes();
  try {
    const out = serializeMessage.call({ handler: { serialize: (value) => value as Buffer } }, probe);
    if (!isExpectedFraming(out, probe)) return "serializeMessage frames messages differently";
  } catch (error) {
    return `serializeMessage probe threw (${error instanceof Error ? error.message : String(error)})`;
  }
  const hooked: ServerSerializeMessage = function (this, value) {
    if (this.handler?.serialize === ourSerializer) {
      const framed = grpcFramedView(value);
      if (framed !== undefined) return framed;
    }
    return serializeMessage.call(this, value);
  };
  proto["serializeMessage"] = hooked;
  return undefined;
}

/**
 * Returns undefined when hooked, or what was wrong. The original's framing is probed
 * asynchronously (it is an async method); on a mismatch the hook is removed again, before
 * any call can have sent a message, and `warn` is called.
 */
function hookClient(require: NodeJS.Require, warn: FramedSendWarning): string | undefined {
  const path = "@grpc/grpc-js/build/src/compression-filter.js";
  const proto = loadPrototype(require, path, "CompressionFilter");
  if (typeof proto === "string") return proto;
  const original = proto["sendMessage"];
  if (typeof original !== "function") return "CompressionFilter.sendMessage is missing";
  const sendMessage = original as ClientSendMessage;
  // A filter built with default options (no compression) shows the identity handler's class.
  let filter: { sendCompression: unknown; maxSendMessageLength: number };
  try {
    const filterClass = (require(path) as { CompressionFilter: new (options: object, shared: object) => object })
      .CompressionFilter;
    filter = new filterClass({}, {}) as typeof filter;
  } catch (error) {
    return `CompressionFilter probe threw (${error instanceof Error ? error.message : String(error)})`;
  }
  const identityClass: unknown = (filter.sendCompression as object | undefined)?.constructor;
  if (typeof identityClass !== "function") return "CompressionFilter.sendCompression is missing";
  if (typeof filter.maxSendMessageLength !== "number") return "CompressionFilter.maxSendMessageLength is missing";
  const isIdentity = identityClass as abstract new (...args: never[]) => unknown;

  const hooked: ClientSendMessage = async function (this, message) {
    const resolved = await message;
    const framed = grpcFramedView(resolved.message);
    if (
      framed !== undefined &&
      this.sendCompression instanceof isIdentity &&
      (this.maxSendMessageLength === -1 || resolved.message.length <= this.maxSendMessageLength)
    ) {
      return { message: framed, flags: resolved.flags };
    }
    return sendMessage.call(this, resolved);
  };
  proto["sendMessage"] = hooked;

  const probe = probeBytes();
  const unhook = (problem: string) => {
    proto["sendMessage"] = sendMessage;
    installed = "failed";
    warn("grpc-js internals not as expected; outgoing messages are copied once more", {
      problems: [`client: ${problem}`],
    });
  };
  sendMessage.call(filter, { message: probe }).then(
    (out) => {
      if (!isExpectedFraming(out.message, probe)) unhook("CompressionFilter.sendMessage frames messages differently");
    },
    (error: unknown) => unhook(`sendMessage probe threw (${error instanceof Error ? error.message : String(error)})`),
  );
  return undefined;
}
