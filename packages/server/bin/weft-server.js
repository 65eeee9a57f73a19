#!/usr/bin/env node
// Published entry point: runs the compiled CLI. In this repository, `pnpm start` runs the sources.
import '../dist/cli.js';
