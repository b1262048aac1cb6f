/**
 * TLS and mutual-TLS settings for servers and clients (PEM text or bytes).
 *
 * Plain data: the grpc adapter turns them into grpc-js credentials.
 */
import { FlightInvalidArgumentError } from "./flight-error.js";

/** PEM-encoded material: text or its bytes. */
export type Pem = string | Uint8Array;

/** A certificate chain and its private key (pyarrow's `CertKeyPair`). */
export interface CertKeyPair {
  /** PEM certificate chain, leaf first. */
  readonly certChain: Pem;
  /** PEM private key of the leaf certificate. */
  readonly privateKey: Pem;
}

/** Server TLS: serve `grpc+tls://`, optionally requiring client certificates (mTLS). */
export interface ServerTlsOptions {
  /** One or more certificate/key pairs (SNI picks among them). At least one. */
  readonly certificates: readonly CertKeyPair[];
  /** PEM CA bundle that client certificates must chain to. Setting it enables mTLS. */
  readonly clientCa?: Pem;
  /** Reject clients without a valid certificate. Default: true when `clientCa` is set. */
  readonly verifyClient?: boolean;
}

/** Client TLS: used for `grpc+tls://` locations. */
export interface ClientTlsOptions {
  /** PEM root certificates to trust. Default: the system's roots. */
  readonly rootCerts?: Pem;
  /** Client certificate chain for mTLS (requires `privateKey`). */
  readonly certChain?: Pem;
  /** Client private key for mTLS (requires `certChain`). */
  readonly privateKey?: Pem;
  /** Verify the server certificate against this name instead of the location's host. */
  readonly overrideHostname?: string;
}

/** PEM text or bytes as a Buffer. */
export function pemToBuffer(pem: Pem): Buffer {
  return typeof pem === "string" ? Buffer.from(pem, "utf8") : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
}

/** Checks server TLS options. @throws FlightInvalidArgumentError naming the missing piece. */
export function validateServerTls(tls: ServerTlsOptions): void {
  if (tls.certificates.length === 0)
    throw new FlightInvalidArgumentError("tls.certificates must hold at least one pair");
  for (const [i, pair] of tls.certificates.entries()) {
    if (pemToBuffer(pair.certChain).length === 0)
      throw new FlightInvalidArgumentError(`tls.certificates[${i}].certChain is empty`);
    if (pemToBuffer(pair.privateKey).length === 0)
      throw new FlightInvalidArgumentError(`tls.certificates[${i}].privateKey is empty`);
  }
  if (tls.verifyClient === true && tls.clientCa === undefined) {
    throw new FlightInvalidArgumentError("tls.verifyClient requires tls.clientCa");
  }
}

/** Checks client TLS options. @throws FlightInvalidArgumentError when only one of certChain/privateKey is set. */
export function validateClientTls(tls: ClientTlsOptions): void {
  if ((tls.certChain === undefined) !== (tls.privateKey === undefined)) {
    throw new FlightInvalidArgumentError("tls.certChain and tls.privateKey must be given together");
  }
}
