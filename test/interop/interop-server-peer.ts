/**
 * Starts interop-server.ts (our FlightServer, built dist/) as a real child process.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ChildHandle, startProcess } from "../kit/process.js";
import { REPO_ROOT } from "../kit/python.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** Our server, running in its own process. */
export interface InteropServerPeer {
  readonly port: number;
  /** `grpc+tcp://127.0.0.1:<port>`. */
  readonly location: string;
  readonly process: ChildHandle;
  /** Stops the server (stdin closed, SIGTERM, SIGKILL after a grace) and waits for its exit. */
  stop(): Promise<void>;
}

/**
 * Run `node --import ts-register.mjs interop-server.ts --fixtures-dir <dir>` and wait
 * for its `listening` line. With `tls` it serves grpc+tls (mTLS when `clientCa` is set).
 *
 * @throws Error if the protocol package is not built or the server fails to start.
 */
export async function startInteropServer(
  fixturesDir: string,
  tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string },
): Promise<InteropServerPeer> {
  const built = `${REPO_ROOT}packages/protocol/dist/index.js`;
  if (!existsSync(built)) {
    throw new Error(`${built} is missing: run \`pnpm exec tsc --build\` before the interop tests`);
  }
  const child = await startProcess({
    name: "interop server (ours)",
    command: process.execPath,
    args: [
      "--import",
      `${HERE}ts-register.mjs`,
      `${HERE}interop-server.ts`,
      "--fixtures-dir",
      fixturesDir,
      ...(tls === undefined ? [] : ["--tls-cert", tls.cert, "--tls-key", tls.key]),
      ...(tls?.clientCa === undefined ? [] : ["--client-ca", tls.clientCa]),
    ],
    cwd: HERE,
    isReady: (line) => line.startsWith("{") && line.includes(`"listening"`),
    readyTimeoutMs: 60_000,
  });
  const ready = JSON.parse(child.readyLine) as { port: number; location: string };
  return {
    port: ready.port,
    location: ready.location,
    process: child,
    stop: async () => {
      await child.stop();
    },
  };
}
