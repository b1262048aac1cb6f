/**
 * A throwaway PKI for the TLS interop tests, made with the `openssl` command: a CA, a
 * server certificate for `localhost`/127.0.0.1, a client certificate, and a second,
 * unrelated CA (to prove that an untrusted server is refused).
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Paths of the PEM files {@link createTestPki} wrote. */
export interface TestPki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed none of the above. */
  readonly otherCaCert: string;
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("openssl", [...args], { cwd, timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${error.message}\n${stderr}`));
      else resolve();
    });
  });
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await openssl(
    [
      "req",
      "-x509",
      ...KEY,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
}

async function leaf(dir: string, name: string, extensions: string): Promise<void> {
  await openssl(["req", ...KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`], dir);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

/**
 * Write a CA, a server certificate (SAN localhost and 127.0.0.1), a client certificate
 * and an unrelated CA into `dir`.
 *
 * @throws Error naming the failing openssl step (or saying that `openssl` is missing).
 */
export async function createTestPki(dir: string): Promise<TestPki> {
  await selfSignedCa(dir, "ca");
  await selfSignedCa(dir, "other-ca");
  await leaf(dir, "server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await leaf(dir, "client", "extendedKeyUsage=clientAuth\n");
  return {
    caCert: join(dir, "ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.pem"),
    clientKey: join(dir, "client.key"),
    otherCaCert: join(dir, "other-ca.pem"),
  };
}
