// TLS with client certificates (mTLS) in both directions: pyarrow's client against our
// server, our client against pyarrow's server, with a throwaway PKI made by openssl.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type FlightClient, FlightError, FlightUnavailableError, StatusCode } from "@flight-cluster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readIpcFile, tableDifferences } from "./arrow-compare.js";
import { type InteropServerPeer, startInteropServer } from "./interop-server-peer.js";
import {
  Fixture,
  PYARROW_USERS,
  type PyarrowClient,
  type PyarrowServer,
  startPyarrowClient,
  startPyarrowServer,
} from "./pyarrow-peers.js";
import { createTestPki, type TestPki } from "./tls-certs.js";

let dir = "";
let pki: TestPki;
let pyServer: PyarrowServer | undefined;
let ourServer: InteropServerPeer | undefined;
let py: PyarrowClient | undefined;
const clients: FlightClient[] = [];

function driver(): PyarrowClient {
  if (py === undefined) throw new Error("the pyarrow client did not start");
  return py;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flight-interop-tls-"));
  await mkdir(join(dir, "pki"));
  pki = await createTestPki(join(dir, "pki"));
  const tls = { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert };
  // The pyarrow server writes the fixture files; our server then serves the same files.
  pyServer = await startPyarrowServer(join(dir, "fixtures"), tls);
  [ourServer, py] = await Promise.all([startInteropServer(join(dir, "fixtures"), tls), startPyarrowClient()]);
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.allSettled([py?.stop(), ourServer?.stop(), pyServer?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("pyarrow client -> our server over mTLS", () => {
  it("serves a client that trusts our CA and presents a certificate", async () => {
    expect(ourServer?.location).toMatch(/^grpc\+tls:\/\/127\.0\.0\.1:\d+$/);
    await driver().ok("connect", {
      client: "tls",
      location: ourServer?.location ?? "",
      tls_root_certs: pki.caCert,
      cert_chain: pki.clientCert,
      private_key: pki.clientKey,
    });
    await driver().ok("authenticate", { client: "tls", ...PYARROW_USERS.writer });
    const got = await driver().ok("do_get", { client: "tls", ticket: "all-types", expected: "all-types" });
    expect(got.compare).toMatchObject({ equals: true, schemaEquals: true, rows: 36 });
  });

  it("is refused by a pyarrow client that does not trust our certificate", async () => {
    await driver().ok("connect", {
      client: "untrusting",
      location: ourServer?.location ?? "",
      tls_root_certs: pki.otherCaCert,
      cert_chain: pki.clientCert,
      private_key: pki.clientKey,
    });
    // (pyarrow's authenticate_basic_token reports a failed TLS handshake as FlightInternalError
    // "Could not finish writing before closing", against its own server too; other calls say
    // FlightUnavailableError.)
    const error = await driver().fails("list_flights", { client: "untrusting" });
    expect(error.type).toBe("FlightUnavailableError");
    expect(error.message).toContain("failed to connect");
  });

  it("refuses a pyarrow client without a client certificate", async () => {
    await driver().ok("connect", {
      client: "anonymous-tls",
      location: ourServer?.location ?? "",
      tls_root_certs: pki.caCert,
    });
    const error = await driver().fails("list_flights", { client: "anonymous-tls" });
    expect(error.type).toBe("FlightUnavailableError");
    expect(error.message).toContain("failed to connect");
  });
});

describe("our client -> pyarrow server over mTLS", () => {
  async function client(tls: { rootCerts: Buffer; certChain?: Buffer; privateKey?: Buffer }): Promise<FlightClient> {
    const c = connect(pyServer?.location ?? "", { tls });
    clients.push(c);
    return c;
  }

  it("trusts pyarrow's certificate from our CA, presents ours, and reads data", async () => {
    expect(pyServer?.location).toMatch(/^grpc\+tls:\/\/127\.0\.0\.1:\d+$/);
    const c = await client({
      rootCerts: await readFile(pki.caCert),
      certChain: await readFile(pki.clientCert),
      privateKey: await readFile(pki.clientKey),
    });
    await c.authenticateBasicToken(PYARROW_USERS.writer.user, PYARROW_USERS.writer.password);
    const table = await c.doGet("all-types").readAll();
    const want = await readIpcFile(pyServer?.fixtures[Fixture.AllTypes].path ?? "");
    expect(tableDifferences(table, want.table)).toEqual([]);
  });

  it("refuses a server whose certificate it does not trust (FlightUnavailableError)", async () => {
    const c = await client({
      rootCerts: await readFile(pki.otherCaCert),
      certChain: await readFile(pki.clientCert),
      privateKey: await readFile(pki.clientKey),
    });
    const error = await c.authenticateBasicToken("alice", "wonderland").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightUnavailableError);
  });

  it("is refused by pyarrow's server without a client certificate", async () => {
    const c = await client({ rootCerts: await readFile(pki.caCert) });
    const error = await c.authenticateBasicToken("alice", "wonderland").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightError);
    expect((error as FlightError).code).toBe(StatusCode.UNAVAILABLE);
  });
});
