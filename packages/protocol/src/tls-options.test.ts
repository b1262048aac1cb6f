import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./flight-client.js";
import { FlightInvalidArgumentError, FlightUnavailableError } from "./flight-error.js";
import { FlightServer } from "./flight-server.js";
import { silentLogger } from "./logger.js";
import { makeTestPki, type TestPki } from "./tls.test-kit.js";
import type { ServerTlsOptions } from "./tls-options.js";

let pki: TestPki;

beforeAll(() => {
  pki = makeTestPki();
});

afterAll(() => pki?.remove());

describe("TLS and mutual TLS with certificates made by openssl at test time", () => {
  const servers: FlightServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  async function serve(tls: ServerTlsOptions) {
    const server = new FlightServer(
      { listActions: (ctx) => [{ type: "peer", description: ctx.peerCertificateSubject ?? "none" }] },
      { tls, logger: silentLogger },
    );
    servers.push(server);
    return server.listen({ host: "127.0.0.1", port: 0 });
  }

  it("serves grpc+tls: trusted roots connect; unknown roots and plaintext clients cannot", async () => {
    const { location, port } = await serve({
      certificates: [{ certChain: pki.serverCert, privateKey: pki.serverKey }],
    });
    expect(location.uri).toBe(`grpc+tls://127.0.0.1:${port}`);
    const trusted = connect(location, { tls: { rootCerts: pki.ca } });
    expect(await trusted.listActions()).toEqual([{ type: "peer", description: "none" }]);
    trusted.close();
    const untrusted = connect(location, { tls: { rootCerts: pki.serverCert } });
    await expect(untrusted.listActions({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(FlightUnavailableError);
    untrusted.close();
    const plain = connect(`grpc+tcp://127.0.0.1:${port}`);
    await expect(plain.listActions({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(FlightUnavailableError);
    plain.close();
  });

  it("overrideHostname verifies the certificate against another name", async () => {
    const { port } = await serve({ certificates: [{ certChain: pki.otherCert, privateKey: pki.otherKey }] });
    const wrongName = connect(`grpc+tls://127.0.0.1:${port}`, { tls: { rootCerts: pki.ca } });
    await expect(wrongName.listActions({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(FlightUnavailableError);
    wrongName.close();
    const overridden = connect(`grpc+tls://127.0.0.1:${port}`, {
      tls: { rootCerts: pki.ca, overrideHostname: "flight.test" },
    });
    expect(await overridden.listActions()).toHaveLength(1);
    overridden.close();
  });

  it("mTLS: clients need a certificate from the client CA; the handler sees its subject", async () => {
    const { location } = await serve({
      certificates: [{ certChain: pki.serverCert, privateKey: pki.serverKey }],
      clientCa: pki.ca,
    });
    const anonymous = connect(location, { tls: { rootCerts: pki.ca } });
    await expect(anonymous.listActions({ timeoutMs: 5_000 })).rejects.toBeInstanceOf(FlightUnavailableError);
    anonymous.close();
    const withCert = connect(location, {
      tls: { rootCerts: pki.ca, certChain: pki.clientCert, privateKey: pki.clientKey },
    });
    const [peer] = await withCert.listActions();
    expect(peer?.description).toContain("CN=flight-client");
    withCert.close();
  });

  it("rejects inconsistent TLS settings up front", () => {
    expect(() => new FlightServer({}, { tls: { certificates: [] } })).toThrow(FlightInvalidArgumentError);
    expect(() => connect("grpc+tls://localhost:1", { tls: { certChain: pki.clientCert } })).toThrow(
      "tls.certChain and tls.privateKey must be given together",
    );
    const server = new FlightServer({}, { logger: silentLogger });
    servers.push(server);
    return expect(server.listen("grpc+tls://127.0.0.1:0")).rejects.toThrow("grpc+tls needs the server's tls option");
  });
});
