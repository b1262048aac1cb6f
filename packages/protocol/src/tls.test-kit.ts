/**
 * Test kit: a throw-away PKI made with `openssl` in a temp dir: a CA, a server
 * certificate for localhost/127.0.0.1, one for `flight.test` only, and a client
 * certificate (CN=flight-client).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly otherCert: string;
  readonly otherKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  remove(): void;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "flight-tls-"));
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  openssl("genpkey", ...ec, "-out", "ca.key");
  openssl("req", "-x509", "-new", "-key", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=flight-test-ca");
  const issue = (name: string, subject: string, ext: string) => {
    openssl("genpkey", ...ec, "-out", `${name}.key`);
    openssl("req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl(
      ...["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"],
      ...["-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`],
    );
  };
  issue("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1");
  issue("other", "/CN=flight.test", "subjectAltName=DNS:flight.test");
  issue("client", "/CN=flight-client", "extendedKeyUsage=clientAuth");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    ca: read("ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    otherCert: read("other.crt"),
    otherKey: read("other.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
