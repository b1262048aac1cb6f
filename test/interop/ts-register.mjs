// Lets `node --import ./test/interop/ts-register.mjs script.ts` run a TypeScript test peer
// (type-checked by tsconfig.test.json) without a build step. Workspace packages still
// resolve to their built dist/, as the rules for process tests require.
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
