// The bundle as a host installs it: unpacked (with the official CLI) into an empty folder,
// its binary started exactly as the manifest's `mcp_config` says — command, arguments and
// environment, variables substituted with test values, and *no other* environment variable —
// must answer `initialize` and list the manifest's tools. No Telegram is reached: there is no
// session yet, and the handshake never waits for one.
//
//   node scripts/bundle_check.mjs <mcpb CLI> <bundle.mcpb>
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [mcpb, bundle] = process.argv.slice(2);
const fail = (why) => {
  console.error(`bundle check FAILED: ${why}`);
  process.exit(1);
};

const work = mkdtempSync(join(tmpdir(), "mcpb-check-"));
const dir = join(work, "unpacked");
mkdirSync(dir);
if (readdirSync(dir).length !== 0) fail("the folder is not empty");
execFileSync(mcpb, ["unpack", bundle, dir], { stdio: "ignore" });
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));

// What a host substitutes (MCPB's variables), with test values for the user's settings.
const home = join(work, "home");
const roots = [join(work, "inbox"), join(work, "outbox")];
for (const d of [home, ...roots]) mkdirSync(d);
const userConfig = {
  api_id: "12345",
  api_hash: "0123456789abcdef0123456789abcdef",
  session_name: "bundle-check",
  read_only: "false",
  allowed_file_roots: roots,
};
const variables = { __dirname: dir, HOME: home, "/": "/", pathSeparator: "/" };
for (const [key, option] of Object.entries(manifest.user_config ?? {})) {
  variables[`user_config.${key}`] = userConfig[key] ?? option.default;
}
const substitute = (text) =>
  text.replace(/\$\{([^}]+)\}/g, (whole, name) => {
    const value = variables[name];
    if (value === undefined || Array.isArray(value)) fail(`${whole} has no value in a string`);
    return String(value);
  });
const config = manifest.server.mcp_config;
const command = substitute(config.command);
const args = config.args.flatMap((arg) => {
  const whole = arg.match(/^\$\{([^}]+)\}$/);
  const value = whole && variables[whole[1]];
  return Array.isArray(value) ? value : [substitute(arg)];
});
const env = Object.fromEntries(
  Object.entries(config.env ?? {}).map(([k, v]) => [k, substitute(v)]),
);

const child = spawn(command, args, { env, cwd: work, stdio: ["pipe", "pipe", "pipe"] });
let stderr = "";
child.stderr.on("data", (d) => (stderr += d));
const timer = setTimeout(() => fail(`no answer within 30 s; stderr:\n${stderr}`), 30_000);
const send = (message) => child.stdin.write(JSON.stringify(message) + "\n");
let buffer = "";
child.stdout.on("data", (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf("\n")) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    const message = JSON.parse(line);
    if (message.id === 1) {
      if (message.result?.serverInfo?.version !== manifest.version) {
        fail(`initialize answered ${line}`);
      }
      send({ jsonrpc: "2.0", method: "notifications/initialized" });
      send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    } else if (message.id === 2) {
      const names = message.result.tools.map((t) => t.name).sort();
      const declared = manifest.tools.map((t) => t.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(declared)) {
        fail(`tools/list ${names} is not the manifest's ${declared}`);
      }
      listed = true;
      clearTimeout(timer);
      child.stdin.end();
      child.on("exit", (code) => {
        if (code !== 0) fail(`the server exited with ${code}; stderr:\n${stderr}`);
        rmSync(work, { recursive: true, force: true });
        console.log(
          `bundle check passed: ${names.length} tools, environment ${Object.keys(env).join(" ")} only`,
        );
      });
    }
  }
});
child.on("error", (e) => fail(`cannot start ${command}: ${e}`));
let listed = false;
child.on("exit", (code) => {
  if (!listed) fail(`the server exited (${code}) before listing its tools; stderr:\n${stderr}`);
});
send({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "bundle-check", version: "0" },
  },
});
