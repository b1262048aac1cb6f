import { afterEach, describe, expect, it } from "vitest";
import { getHeader } from "./call-options.js";
import { FlightUnauthenticatedError } from "./flight-error.js";
import { collect, startTestServer, type TestServer, text } from "./protocol.test-kit.js";
import { createBasicTokenAuthHandler, parseBasicAuthorization, parseBearerAuthorization } from "./server-auth.js";

const auth = () => createBasicTokenAuthHandler({ users: { alice: "s3cret", "bob:x": "pw" } });
const handlers = {
  listActions: () => [{ type: "whoami", description: "" }],
  async *doAction(ctx: { peerIdentity: string }) {
    yield { body: new TextEncoder().encode(ctx.peerIdentity) };
  },
};

describe("Basic -> Bearer authentication", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("good credentials give a 128-bit bearer token in the Handshake's initial headers, valid on later calls", async () => {
    t = await startTestServer(handlers, { auth: auth() });
    const [name, value] = await t.client.authenticateBasicToken("alice", "s3cret");
    expect(name).toBe("authorization");
    const token = parseBearerAuthorization(value)!;
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(text((await collect(t.client.doAction("whoami")))[0]!.body)).toBe("alice");
    // The token is in the response *headers* (initial metadata), as arrow-rs requires.
    const other = t.connect();
    const hs = await other.handshake([], { headers: { authorization: "Basic YWxpY2U6czNjcmV0" } });
    expect(getHeader(hs.headers, "authorization")).toMatch(/^Bearer \S{22,}$/);
    expect(hs.trailers["authorization"]).toBeUndefined();
    // Sent explicitly by another client (attach: false leaves that client unauthenticated).
    const manual = t.connect();
    const pair = await manual.authenticateBasicToken("alice", "s3cret", { attach: false });
    await expect(manual.listActions()).rejects.toBeInstanceOf(FlightUnauthenticatedError);
    expect(await manual.listActions({ headers: { [pair[0]]: pair[1] } })).toHaveLength(1);
  });

  it("bad password, unknown user, missing and forged tokens all fail with UNAUTHENTICATED", async () => {
    t = await startTestServer(handlers, { auth: auth() });
    await expect(t.client.authenticateBasicToken("alice", "wrong")).rejects.toThrow("invalid username or password");
    await expect(t.client.authenticateBasicToken("mallory", "s3cret")).rejects.toBeInstanceOf(
      FlightUnauthenticatedError,
    );
    await expect(t.client.listActions()).rejects.toThrow("missing authorization header");
    await expect(t.client.listActions({ headers: { authorization: "Bearer AAAAAAAAAAAAAAAAAAAAAA" } })).rejects.toThrow(
      "invalid or expired bearer token",
    );
    await expect(t.client.listActions({ headers: { authorization: "Basic YWxpY2U6czNjcmV0" } })).rejects.toThrow(
      "authorization must be 'Bearer <token>'",
    );
    await expect(t.client.handshake([], { headers: { authorization: "Basic !!!" } })).rejects.toThrow(
      "malformed Basic authorization header",
    );
  });

  it("accepts arrow-go's unpadded base64 and passwords containing ':'", async () => {
    t = await startTestServer(handlers, {
      auth: createBasicTokenAuthHandler({ users: { alice: "s3cret!", carol: "a:b" } }),
    });
    const unpadded = Buffer.from("alice:s3cret!").toString("base64").replace(/=+$/, "");
    expect(unpadded.length % 4).not.toBe(0);
    const hs = await t.client.handshake([], { headers: { authorization: `Basic ${unpadded}` } });
    expect(getHeader(hs.headers, "authorization")).toMatch(/^Bearer /);
    await t.client.authenticateBasicToken("carol", "a:b");
    expect(text((await collect(t.client.doAction("whoami")))[0]!.body)).toBe("carol");
  });

  it("parses Basic and Bearer header values strictly", () => {
    expect(parseBasicAuthorization("Basic YWxpY2U6czNjcmV0")).toEqual({ username: "alice", password: "s3cret" });
    expect(parseBasicAuthorization("basic YWxpY2U6czNjcmV0")).toEqual({ username: "alice", password: "s3cret" });
    expect(parseBasicAuthorization("Basic YWxpY2U")).toBeUndefined(); // no ':'
    expect(parseBasicAuthorization("Basic Y")).toBeUndefined(); // impossible length
    expect(parseBasicAuthorization("Basic /w==")).toBeUndefined(); // invalid UTF-8
    expect(parseBasicAuthorization("Bearer abc")).toBeUndefined();
    expect(parseBearerAuthorization("Bearer abc")).toBe("abc");
    expect(parseBearerAuthorization("Basic abc")).toBeUndefined();
  });
});
