/** Arrow IPC stream bytes <-> frames. CONTRACT STUB. */
import type { FlightDataFrame } from "./flight-data.js";

/** Split an Arrow IPC *stream* (bytes) into frames {header, body} (views, no copies), validating lengths; stops at the end-of-stream marker. Throws FlightError INVALID_ARGUMENT. */
export function framesFromIpcStream(bytes: Uint8Array): FlightDataFrame[] {
  void bytes;
  throw new Error("not implemented");
}

/** Encapsulate frames as an Arrow IPC stream (list of chunks to write, ending with the EOS marker). */
export function ipcStreamFromFrames(frames: Iterable<FlightDataFrame>): Uint8Array[] {
  void frames;
  throw new Error("not implemented");
}
