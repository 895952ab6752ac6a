/**
 * Request logs from real servers and real clients on loopback: an HTTP server (Deno.serve) with
 * curl, dnsmasq with dig (UDP and TCP), redis-server with redis-cli, PostgreSQL (the CI
 * cluster, DATABASE_URL) with psql, MariaDB with the mariadb client. tcpdump captures `lo` while
 * the clients run known statements, one deliberate error each; the parsers must give back the
 * exact statements, counts, codes, and latencies within the round trip the client measured.
 */
import assert from "node:assert/strict";
import { buildFlowsFromFile } from "../../appliance/pipeline.ts";
import type { RequestRecord } from "../../appliance/l7/mod.ts";
import { testWithTools } from "../support/tools.ts";

const TOOLS = ["tcpdump", "curl", "dig", "dnsmasq", "redis-server", "redis-cli", "psql"];
const MARIADB = ["mariadbd", "mariadb", "mariadb-install-db"];

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Runs a client; returns its output and how long it took (µs), the round trip it measured. */
async function client(cmd: string, args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const out = await new Deno.Command(cmd, { args, env, stdin: "null" }).output();
  const us = (performance.now() - started) * 1000;
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr), us };
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

function stop(child: Deno.ChildProcess, signal: Deno.Signal = "SIGTERM"): Promise<unknown> {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
  return child.status;
}

function spawn(cmd: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "piped" }).spawn();
}

/** Starts tcpdump on lo for `ports`; resolves once it listens. */
async function capture(file: string, ports: number[]) {
  const child = new Deno.Command("tcpdump", {
    args: [
      "-i",
      "lo",
      "-U",
      // Without it, packets wait in libpcap's ring for up to a second, and a SIGINT before the
      // block is handed over leaves the file empty.
      "--immediate-mode",
      "-n",
      "-s",
      "0",
      "-w",
      file,
      ports.map((p) => `port ${p}`).join(" or "),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  let text = "";
  while (!text.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump did not start: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

function ofProtocol(records: RequestRecord[], protocol: number): RequestRecord[] {
  return records.filter((r) => r.l7Protocol === protocol);
}

testWithTools("request logs of real servers and clients on loopback", TOOLS, async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-l7-" });
  const children: Deno.ChildProcess[] = [];
  let http: Deno.HttpServer | undefined;
  const httpPort = freePort();
  const dnsPort = freePort();
  const redisPort = freePort();
  const mariaPort = freePort();
  const pg = new URL(
    Deno.env.get("DATABASE_URL") ?? "postgres://tapline:tapline@127.0.0.1:5432/tapline",
  );
  const pgPort = Number(pg.port || 5432);
  const withMaria = MARIADB.every((t) => {
    try {
      return new Deno.Command("which", { args: [t], stdout: "null" }).outputSync().success;
    } catch {
      return false;
    }
  });
  const file = `${dir}/l7.pcap`;
  try {
    // Servers.
    http = Deno.serve({ hostname: "127.0.0.1", port: httpPort, onListen: () => {} }, (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/missing") return new Response("no such page", { status: 404 });
      return new Response(`hello ${path}`, { headers: { "x-request-id": "resp-1" } });
    });
    children.push(spawn("dnsmasq", [
      "--no-daemon",
      "--conf-file=/dev/null",
      `--port=${dnsPort}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      "--local=/test/",
      "--address=/app.test/10.1.2.3",
      `--pid-file=${dir}/dnsmasq.pid`,
    ]));
    children.push(spawn("redis-server", [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ]));
    let maria: Deno.ChildProcess | undefined;
    if (withMaria) {
      const install = await client("mariadb-install-db", [
        `--datadir=${dir}/maria`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--user=root",
      ]);
      assert.equal(install.code, 0, install.stderr);
      maria = spawn("mariadbd", [
        "--no-defaults",
        `--datadir=${dir}/maria`,
        `--socket=${dir}/maria.sock`,
        `--port=${mariaPort}`,
        "--bind-address=127.0.0.1",
        "--skip-grant-tables",
        "--user=root",
        `--pid-file=${dir}/maria.pid`,
      ]);
      children.push(maria);
    }
    await waitFor("HTTP", () => listening(httpPort));
    await waitFor("redis", () => listening(redisPort));
    await waitFor("dnsmasq", () => listening(dnsPort));
    if (withMaria) await waitFor("mariadbd", () => listening(mariaPort), 40_000);

    const tcpdump = await capture(file, [httpPort, dnsPort, redisPort, pgPort, mariaPort]);
    children.push(tcpdump);

    // Clients: keep-alive (two URLs on one connection), a traceparent, a 404.
    const curl = await client("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-H",
      "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      `http://127.0.0.1:${httpPort}/a?x=1`,
      `http://127.0.0.1:${httpPort}/missing`,
    ]);
    assert.equal(curl.code, 0, curl.stderr);
    const digA = await client("dig", [
      "@127.0.0.1",
      "-p",
      String(dnsPort),
      "app.test",
      "A",
      "+tries=1",
    ]);
    const digNx = await client("dig", [
      "@127.0.0.1",
      "-p",
      String(dnsPort),
      "nope.test",
      "AAAA",
      "+tries=1",
    ]);
    const digTcp = await client("dig", [
      "@127.0.0.1",
      "-p",
      String(dnsPort),
      "app.test",
      "A",
      "+tcp",
    ]);
    assert.match(digA.stdout, /10\.1\.2\.3/);
    assert.match(digNx.stdout, /NXDOMAIN/);
    const redisCli = ["-h", "127.0.0.1", "-p", String(redisPort)];
    const set = await client("redis-cli", [...redisCli, "SET", "greeting", "hello"]);
    const get = await client("redis-cli", [...redisCli, "GET", "greeting"]);
    const bad = await client("redis-cli", [...redisCli, "NOSUCHCOMMAND", "x"]);
    assert.match(bad.stdout + bad.stderr, /unknown command/i);
    const pgEnv = { PGPASSWORD: decodeURIComponent(pg.password), PGSSLMODE: "disable" };
    const psqlArgs = [
      "-h",
      pg.hostname,
      "-p",
      String(pgPort),
      "-U",
      pg.username,
      "-d",
      pg.pathname.slice(1),
      "-X",
      "-q",
    ];
    const pgOk = await client("psql", [...psqlArgs, "-c", "SELECT 40 + 2 AS answer"], pgEnv);
    assert.equal(pgOk.code, 0, pgOk.stderr);
    const pgBad = await client("psql", [...psqlArgs, "-c", "SELEC 1"], pgEnv);
    assert.match(pgBad.stderr, /syntax error/);
    let mariaOk, mariaBad;
    if (withMaria) {
      const m = ["-h", "127.0.0.1", "-P", String(mariaPort), "-u", "root", "--skip-ssl", "-N"];
      mariaOk = await client("mariadb", [...m, "-e", "SELECT 6 * 7"]);
      assert.equal(mariaOk.code, 0, mariaOk.stderr);
      mariaBad = await client("mariadb", [...m, "-e", "SELEC 1"]);
      assert.match(mariaBad.stderr, /1064/);
    }
    // tcpdump writes each packet (-U) but may still be reading: stop once the file is still.
    let size = -1;
    for (let i = 0; i < 50 && size !== (await Deno.stat(file)).size; i++) {
      size = (await Deno.stat(file)).size;
      await new Promise((r) => setTimeout(r, 300));
    }
    await stop(tcpdump, "SIGINT");

    const summary = await buildFlowsFromFile(file, { l7: {} });
    const records = summary.requests!;

    // HTTP: both requests on one keep-alive connection, in order.
    const httpLogs = ofProtocol(records, 20);
    assert.deepEqual(
      httpLogs.map((
        r,
      ) => [r.requestType, r.requestResource, r.endpoint, r.responseCode, r.responseStatus]),
      [["GET", "/a?x=1", "/a", 200, 0], ["GET", "/missing", "/missing", 404, 4]],
    );
    assert.equal(httpLogs[0]!.flowId, httpLogs[1]!.flowId);
    assert.equal(httpLogs[0]!.requestDomain, `127.0.0.1:${httpPort}`);
    assert.equal(httpLogs[0]!.traceId, "0af7651916cd43dd8448eb211c80319c");
    assert.equal(httpLogs[0]!.spanId, "b7ad6b7169203331");
    assert.equal(httpLogs[0]!.xRequestId1, "resp-1");
    for (const r of httpLogs) assert.ok(r.responseDuration > 0 && r.responseDuration < curl.us);

    // DNS over UDP and TCP.
    const dnsLogs = ofProtocol(records, 120);
    assert.deepEqual(
      dnsLogs.map((
        r,
      ) => [r.protocol, r.requestType, r.requestResource, r.responseCode, r.responseStatus]),
      [[17, "A", "app.test", 0, 0], [17, "AAAA", "nope.test", 3, 4], [6, "A", "app.test", 0, 0]],
    );
    assert.equal(dnsLogs[0]!.responseResult, "A=10.1.2.3");
    assert.equal(dnsLogs[1]!.responseException, "NXDOMAIN");
    assert.ok(dnsLogs[0]!.responseDuration < digA.us && dnsLogs[1]!.responseDuration < digNx.us);
    assert.ok(dnsLogs[2]!.responseDuration < digTcp.us);

    // Redis: redis-cli first asks COMMAND DOCS (interactive help) on some versions; keep ours.
    const redisLogs = ofProtocol(records, 80).filter((r) => r.requestType !== "COMMAND");
    assert.deepEqual(
      redisLogs.map((r) => [r.requestType, r.requestResource, r.responseStatus]),
      [["SET", "SET greeting hello", 0], ["GET", "GET greeting", 0], [
        "NOSUCHCOMMAND",
        "NOSUCHCOMMAND x",
        3,
      ]],
    );
    assert.match(redisLogs[2]!.responseException, /^ERR unknown command/);
    assert.ok(redisLogs[0]!.responseDuration < set.us && redisLogs[1]!.responseDuration < get.us);

    // PostgreSQL: the statements psql sent, with the database, rows and SQLSTATE.
    // Other clients of the same server (another test's migrations) may be on the wire too: only
    // the statements on psql's database count.
    const pgLogs = ofProtocol(records, 61).filter((r) => r.requestDomain === pg.pathname.slice(1));
    const ours = pgLogs.filter((r) => r.requestResource.includes("SELEC"));
    assert.deepEqual(
      ours.map((r) => [r.requestType, r.requestResource, r.responseStatus, r.responseResult]),
      [["QUERY", "SELECT 40 + 2 AS answer", 0, ""], ["QUERY", "SELEC 1", 4, "42601"]],
    );
    assert.equal(ours[0]!.requestDomain, pg.pathname.slice(1));
    assert.equal(ours[0]!.sqlAffectedRows, 1);
    assert.equal(ours[1]!.responseCode, 42601);
    assert.match(ours[1]!.responseException, /syntax error/);
    assert.ok(ours[0]!.responseDuration < pgOk.us && ours[1]!.responseDuration < pgBad.us);

    if (withMaria) {
      const myLogs = ofProtocol(records, 60).filter((r) => r.requestResource.includes("SELEC"));
      const mine = myLogs.filter((r) =>
        r.requestResource.endsWith("6 * 7") || r.requestResource === "SELEC 1"
      );
      assert.deepEqual(
        mine.map((r) => [r.requestType, r.requestResource, r.responseStatus, r.responseCode]),
        [["COM_QUERY", "SELECT 6 * 7", 0, null], ["COM_QUERY", "SELEC 1", 3, 1064]],
      );
      assert.equal(mine[1]!.responseResult, "42000");
      assert.ok(
        mine[0]!.responseDuration < mariaOk!.us && mine[1]!.responseDuration < mariaBad!.us,
      );
    }
    for (const [name, p] of Object.entries(summary.l7!.byProtocol)) {
      assert.equal(p.parseFailed, 0, `${name} parse failures`);
      assert.equal(p.timeouts, 0, `${name} timeouts`);
    }
  } finally {
    await http?.shutdown();
    for (const child of children) await stop(child);
    for (const child of children) await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

testWithTools("TLS handshakes of openssl s_client against s_server on loopback", [
  "tcpdump",
  "openssl",
], async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-tls-" });
  const children: Deno.ChildProcess[] = [];
  const port = freePort();
  try {
    const made = await client("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "1",
      "-subj",
      "/CN=tls.test",
    ]);
    assert.equal(made.code, 0, made.stderr);
    const tcpdump = await capture(`${dir}/tls.pcap`, [port]);
    children.push(tcpdump);
    children.push(spawn("openssl", [
      "s_server",
      "-accept",
      String(port),
      "-cert",
      `${dir}/cert.pem`,
      "-key",
      `${dir}/key.pem`,
      "-alpn",
      "h2,http/1.1",
      "-quiet",
    ]));
    await waitFor("openssl s_server", () => listening(port));
    const hello = (extra: string[]) =>
      client("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...extra, "-brief"]);
    const t13 = await hello(["-servername", "api.tls.test", "-alpn", "h2", "-tls1_3"]);
    const t12 = await hello([
      "-servername",
      "old.tls.test",
      "-tls1_2",
      "-cipher",
      "ECDHE-ECDSA-AES128-GCM-SHA256",
    ]);
    assert.equal(t13.code, 0, t13.stderr);
    assert.equal(t12.code, 0, t12.stderr);
    // As above: stop tcpdump once the file holds packets and stays still.
    const file = `${dir}/tls.pcap`;
    let size = -1;
    for (let i = 0; i < 50; i++) {
      const now = (await Deno.stat(file)).size;
      if (now > 24 && now === size) break;
      size = now;
      await new Promise((r) => setTimeout(r, 300));
    }
    await stop(tcpdump, "SIGINT");
    const summary = await buildFlowsFromFile(file, { l7: {} });
    const records = ofProtocol(summary.requests!, 121);
    assert.deepEqual(
      records.map((
        r,
      ) => [r.requestType, r.requestDomain, r.requestResource, r.version, r.responseResult]),
      [
        ["ClientHello", "api.tls.test", "h2", "TLS 1.3", "TLS_AES_256_GCM_SHA384"],
        [
          "ClientHello",
          "old.tls.test",
          "",
          "TLS 1.2",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ],
      ],
    );
    assert.ok(records.every((r) => r.type === 2 && r.isTls === 1 && r.responseDuration > 0));
    assert.ok(records[0]!.responseDuration < t13.us && records[1]!.responseDuration < t12.us);
    assert.equal(summary.l7!.byProtocol.tls!.parseFailed, 0);
  } finally {
    for (const child of children) await stop(child);
    for (const child of children) await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

testWithTools("HTTP/2 requests of nghttp against nghttpd on loopback", [
  "tcpdump",
  "nghttpd",
  "nghttp",
], async () => {
  const dir = await Deno.makeTempDir({ prefix: "tapline-h2-" });
  const children: Deno.ChildProcess[] = [];
  const port = freePort();
  try {
    await Deno.mkdir(`${dir}/www`);
    await Deno.writeTextFile(`${dir}/www/a.txt`, "hello a");
    await Deno.writeTextFile(`${dir}/www/b.txt`, "hello b");
    const file = `${dir}/h2.pcap`;
    const tcpdump = await capture(file, [port]);
    children.push(tcpdump);
    children.push(spawn("nghttpd", ["--no-tls", "-d", `${dir}/www`, String(port)]));
    await waitFor("nghttpd", () => listening(port));
    // Three streams on one connection: two files and a 404, with a traceparent.
    const run = await client("nghttp", [
      "-n",
      "-H",
      "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      `http://127.0.0.1:${port}/a.txt`,
      `http://127.0.0.1:${port}/missing`,
      `http://127.0.0.1:${port}/b.txt?x=1`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    let size = -1;
    for (let i = 0; i < 50; i++) {
      const now = (await Deno.stat(file)).size;
      if (now > 24 && now === size) break;
      size = now;
      await new Promise((r) => setTimeout(r, 300));
    }
    await stop(tcpdump, "SIGINT");
    const summary = await buildFlowsFromFile(file, { l7: {} });
    const records = ofProtocol(summary.requests!, 21).sort((a, b) => a.requestId! - b.requestId!);
    assert.deepEqual(
      records.map((r) => [
        r.requestType,
        r.requestResource,
        r.endpoint,
        r.requestDomain,
        r.responseCode,
        r.responseStatus,
        r.version,
      ]),
      [
        ["GET", "/a.txt", "/a.txt", `127.0.0.1:${port}`, 200, 0, "2"],
        ["GET", "/missing", "/missing", `127.0.0.1:${port}`, 404, 4, "2"],
        ["GET", "/b.txt?x=1", "/b.txt", `127.0.0.1:${port}`, 200, 0, "2"],
      ],
    );
    assert.equal(new Set(records.map((r) => r.flowId)).size, 1);
    assert.ok(
      records.every((r) => r.type === 2 && r.traceId === "0af7651916cd43dd8448eb211c80319c"),
    );
    assert.ok(records.every((r) => r.responseDuration > 0 && r.responseDuration < run.us));
    assert.ok(records[0]!.responseLength > 9 + 7);
    assert.equal(summary.l7!.byProtocol.http2!.parseFailed, 0);
    assert.equal(summary.l7!.byProtocol.http2!.unmatched, 0);
  } finally {
    for (const child of children) await stop(child);
    for (const child of children) await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
