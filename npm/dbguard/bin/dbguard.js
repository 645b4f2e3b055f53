#!/usr/bin/env node
// dbguard's npm launcher. The binary itself comes in one package per
// platform (`@dbguard/cli-<platform>-<arch>`), an optional dependency of
// this one that npm installs only where it runs. This file finds that
// binary and runs it with the same arguments, standard streams and exit
// code. Agent hooks never go through here: `dbguard hook install` writes
// the native binary's own path, so a tool call costs one native process.
"use strict";

const { spawn } = require("node:child_process");
const manifest = require("../package.json");

function fail(message) {
  process.stderr.write(`dbguard: ${message}\n`);
  process.exit(1);
}

// The platform package for this machine; Linux with musl (Alpine) gets a
// name of its own, since a glibc binary does not run there.
function platformPackage() {
  let libc = "";
  if (process.platform === "linux") {
    const report = process.report && process.report.getReport();
    if (report && !report.header.glibcVersionRuntime) libc = "-musl";
  }
  return `@dbguard/cli-${process.platform}-${process.arch}${libc}`;
}

const name = platformPackage();
const published = Object.keys(manifest.optionalDependencies || {});
if (!published.includes(name)) {
  fail(
    `no dbguard binary is published for this platform (${name}); there are: ` +
      `${published.join(", ")}. Build it from source instead: ` +
      "cargo install --path crates/cli --locked",
  );
}

let binary;
try {
  binary = require.resolve(`${name}/bin/dbguard`);
} catch {
  fail(
    `${name}, which holds dbguard's binary for this platform, is not installed ` +
      "(npm leaves an optional dependency out under --omit=optional, or when it cannot " +
      "fetch it): install dbguard again, without --omit=optional",
  );
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
// A terminal's Ctrl-C or Ctrl-\ reaches the whole process group, so the
// binary has it already: this process only waits for its answer. A signal
// sent to this process alone is passed on.
for (const signal of ["SIGINT", "SIGQUIT"]) process.on(signal, () => {});
for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (error) => fail(`cannot run ${binary}: ${error.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code);
  }
});
