/** Every registry Lua script, compiled once (prelude prepended, SHA-1 computed). */
import { type LuaScript, luaScript } from "./redis-connection.js";
import * as C from "./redis-scripts-catalog.js";
import * as W from "./redis-scripts-workers.js";

/** The scripts by name (see redis-scripts-workers.ts and redis-scripts-catalog.ts). */
export const S = Object.fromEntries(
  Object.entries({ ...W, ...C })
    .filter(([name]) => name !== "LUA_PRELUDE")
    .map(([name, body]) => [name, luaScript(body)]),
) as Record<Exclude<keyof typeof W | keyof typeof C, "LUA_PRELUDE">, LuaScript>;
