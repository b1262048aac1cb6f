#!/usr/bin/env node
/** The flight-cluster command line (placeholder until the cluster lands). */
process.stderr.write("flight-cluster: not built yet\n");
process.exitCode = 1;
