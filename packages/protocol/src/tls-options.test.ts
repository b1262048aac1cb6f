import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./flight-client.js";
import { FlightInvalidArgumentError, FlightUnavailableError } from "./flight-error.js";
import { FlightServer } from "./flight-server.js";
import { silentLogger } from "./logger.js";
import type { ServerTlsOptions } from "./tls-options.js";

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  otherCert: string;
  otherKey: string;
  clientCert: string;
  clientKey: string;
}

let dir = "";
let pki: Pki;

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

function issue(name: string, subject: string, ext: string): void {
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", `${name}.key`);
  openssl("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "flight-tls-"));
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=flight-test-ca",
  );
  issue("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  issue("other", "/CN=flight.test", "subjectAltName=DNS:flight.test");
  issue("client", "/CN=flight-client", "extendedKeyUsage=clientAuth");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  pki = {
    ca: read("ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    otherCert: read("other.crt"),
    otherKey: read("other.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
  };
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

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
