/** Binding the Node benchmark servers. */
import type { Server, ServerCredentials } from "@grpc/grpc-js";

/**
 * Binds a grpc-js server to 127.0.0.1 on a port the system chooses (port 0).
 *
 * @returns the bound port.
 * @throws Error when binding fails.
 */
export function bindServer(server: Server, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", credentials, (error, port) => {
      if (error) reject(error);
      else resolve(port);
    });
  });
}
