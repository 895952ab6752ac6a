// PCAP analysis (issue #7): the appliance's task channel (GET …/self/tasks long poll, POST
// …/self/tasks/:id/result) and the user's side: the /pcap/analysis page (full page or htmx
// fragment, decode panel) and its JSON/SVG/pcapng twins under /api/v1/pcap/. Gated by
// network_monitoring (license/modules.ts); packet contents need the operator role (policy.ts).
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { MAX_TASK_WAIT_SECONDS, PCAPNG_CONTENT_TYPE, TASK_ID } from "../../appliance/wire/mod.ts";
import {
  PcapAnalysisPage,
  type PcapDecodeView,
  PcapDetailPanel,
  PcapResults,
  type PcapResultsProps,
  renderFragment,
  renderPage,
  SequenceDiagram,
} from "../../ui/mod.ts";
import type { FleetService } from "../fleet/mod.ts";
import {
  type Capture,
  describePcapErrors,
  followStream,
  hexDump,
  inSession,
  parsePcapParams,
  PcapChannelError,
  pcapHref,
  type PcapParams,
  type PcapPolicyService,
  type PcapService,
  printable,
  sequenceOf,
  sessionsOf,
  subsetPcapng,
} from "../pcap/mod.ts";
import { HttpError } from "./errors.ts";
import { pageFrame } from "./page_frame.ts";

const MAX_RESULT_BYTES = 256 * 1024 * 1024;
/** Rows the page's packet table shows (the download has them all). */
const PAGE_PACKETS = 1000;
const PAGE = "/pcap/analysis";
const RESULT_TYPES = [PCAPNG_CONTENT_TYPE, "application/cbor", "application/json"];

function applianceOf(c: Context): string {
  const p = c.get("principal");
  if (p?.kind !== "appliance") throw new HttpError(401, "appliance credential required");
  return p.applianceId;
}

function statusOf(err: PcapChannelError): 400 | 429 | 502 | 503 | 504 {
  if (err.kind === "offline") return 503;
  if (err.kind === "timeout") return 504;
  if (err.kind === "busy") return 429;
  return /^(filter|rejected task):/.test(err.message) ? 400 : 502;
}

/** The query's values for links (the selected packet and stream view left out). */
function baseValues(p: PcapParams): Record<string, string> {
  const { packet: _packet, ...rest } = p.raw;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== ""));
}

function timeText(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString().replace("T", " ").replace("Z", "");
}

/** The Policy field: the manager's PCAP policies, and the asked id when it is none of them. */
async function policyOptions(
  policies: Pick<PcapPolicyService, "list"> | undefined,
  asked: string,
): Promise<{ value: string; label: string }[]> {
  const options = [{ value: "", label: "Any" }];
  for (const p of await policies?.list() ?? []) {
    options.push({ value: String(p.id), label: `${p.name}${p.enabled ? "" : " (disabled)"}` });
  }
  // A store filled on the appliance itself (`appliance pcap-store`), or a deleted policy.
  if (asked !== "" && !options.some((o) => o.value === asked)) {
    options.push({ value: asked, label: `${asked} (not a policy of this manager)` });
  }
  return options;
}

export function pcapAnalysisRoutes(options: {
  fleet: FleetService;
  service: PcapService;
  /** The PCAP policies offered in the Policy field. */
  policies?: Pick<PcapPolicyService, "list">;
}): Hono {
  const { fleet, service } = options;
  const app = new Hono();

  // --- the appliance's side ---
  app.get("/api/v1/appliances/self/tasks", async (c) => {
    const id = applianceOf(c);
    const waitText = c.req.query("wait") ?? "25";
    const wait = Number(waitText);
    if (!/^\d{1,3}$/.test(waitText) || wait > MAX_TASK_WAIT_SECONDS) {
      throw new HttpError(400, `wait: expected 0-${MAX_TASK_WAIT_SECONDS} seconds`);
    }
    c.header("Cache-Control", "no-store");
    const task = await service.channel.poll(id, wait * 1000, c.req.raw.signal);
    return task === null ? c.body(null, 204) : c.json(task);
  });

  app.post(
    "/api/v1/appliances/self/tasks/:id/result",
    bodyLimit({
      maxSize: MAX_RESULT_BYTES,
      onError: () => {
        throw new HttpError(413, `task result larger than ${MAX_RESULT_BYTES} bytes`);
      },
    }),
    async (c) => {
      const appliance = applianceOf(c);
      const taskId = c.req.param("id");
      if (!TASK_ID.test(taskId)) throw new HttpError(400, "task id: expected a UUID");
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (!RESULT_TYPES.includes(type)) {
        throw new HttpError(415, `content-type must be one of ${RESULT_TYPES.join(", ")}`);
      }
      const headers: Record<string, string> = {};
      for (const h of ["x-tapline-packets", "x-tapline-truncated"]) {
        const v = c.req.header(h);
        if (v !== undefined) headers[h] = v;
      }
      const body = new Uint8Array(await c.req.arrayBuffer());
      const done = service.channel.complete(appliance, taskId, {
        contentType: type,
        body,
        headers,
      });
      if (done === "foreign") throw new HttpError(403, `task ${taskId} is not this appliance's`);
      if (done === "unknown") {
        throw new HttpError(404, `no pending task ${taskId} (finished, timed out or never made)`);
      }
      return c.body(null, 204);
    },
  );

  // --- the user's side ---
  /** Parameters checked and the appliance known, or an HttpError. */
  const checked = async (c: Context, needSession = false) => {
    const p = parsePcapParams(new URL(c.req.url).searchParams);
    if (Object.keys(p.errors).length > 0) throw new HttpError(400, describePcapErrors(p.errors));
    const appliance = await fleet.get(p.applianceId!);
    if (!appliance) throw new HttpError(404, `no appliance ${p.applianceId}`);
    if (needSession && !p.session) {
      throw new HttpError(400, "name one session: proto, ip0, port0, ip1 and port1");
    }
    return p;
  };
  const capture = async (p: PcapParams): Promise<Capture> => {
    try {
      return await service.capture(p.applianceId!, p.query);
    } catch (err) {
      if (err instanceof PcapChannelError) throw new HttpError(statusOf(err), err.message);
      throw err;
    }
  };

  const decodeView = async (cap: Capture, p: PcapParams): Promise<PcapDecodeView | undefined> => {
    if (p.packet === undefined) return undefined;
    const r = await service.decode(cap, p.packet);
    if (!r) return undefined;
    const d = cap.decoded[p.packet - 1]!.d;
    return {
      number: p.packet,
      summary: `${d.src} → ${d.dst} ${d.protocol}, ${
        cap.packets[p.packet - 1]!.originalLength
      } bytes`,
      tree: r.tree,
      bytes: r.bytes,
      decoder: r.decoder,
      closeHref: pcapHref(PAGE, baseValues(p)),
    };
  };

  const results = async (c: Context, p: PcapParams, cap: Capture): Promise<PcapResultsProps> => {
    const base = baseValues(p);
    const { rows, decoder } = await service.packetRows(cap);
    const sessions = sessionsOf(cap.decoded);
    const tcp = p.session ??
      (sessions.length === 1 && sessions[0]!.protocol === 6 ? sessions[0] : undefined);
    const out: PcapResultsProps = {
      summary: `${cap.packets.length} packets in ${sessions.length} session${
        sessions.length === 1 ? "" : "s"
      } from the appliance's store`,
      truncated: cap.truncated,
      decoderNotice: decoder === "tshark"
        ? undefined
        : "tshark is not installed on the manager: the full (Wireshark) decoder is unavailable; the built-in decoder covers Ethernet, VLAN, IP, TCP, UDP, DNS and HTTP.",
      sessions: sessions.map((s) => ({
        ...s,
        href: pcapHref(PAGE, {
          ...base,
          proto: s.protocol,
          ip0: s.ip0,
          port0: s.port0,
          ip1: s.ip1,
          port1: s.port1,
        }),
      })),
      packetTotal: rows.length,
      packets: rows.slice(0, PAGE_PACKETS).map((r) => ({
        ...r,
        timeUs: cap.packets[r.number - 1]?.timeUs ?? 0,
        decodeHref: pcapHref(`${PAGE}/packet`, { ...base, packet: r.number }),
        pageHref: pcapHref(PAGE, { ...base, packet: r.number }),
      })),
      downloadHref: pcapHref("/api/v1/pcap/download", base),
      downloadFields: base,
    };
    if (tcp && tcp.protocol === 6) {
      const mine = cap.decoded.filter((x) => inSession(x.d, tcp));
      out.sequence = {
        ...sequenceOf(mine, tcp),
        packetHref: (n) => pcapHref(PAGE, { ...base, packet: n }),
      };
    }
    if (tcp) {
      const format = c.req.query("stream") === "hex" ? "hex" : "text";
      const chunks = followStream(cap.decoded.filter((x) => inSession(x.d, tcp)), tcp);
      out.stream = {
        format,
        chunks: chunks.map((k) => ({
          fromLeft: k.fromLeft,
          text: format === "hex" ? `${hexDump(k.bytes)}\n` : printable(k.bytes),
        })),
        otherHref: `${
          pcapHref(PAGE, { ...base, stream: format === "hex" ? "text" : "hex" })
        }#pcap-stream`,
      };
    }
    return out;
  };

  app.get(PAGE, async (c) => {
    const p = parsePcapParams(new URL(c.req.url).searchParams);
    const appliances = await fleet.list();
    const form = {
      action: PAGE,
      values: p.raw,
      errors: p.errors,
      resultsId: "pcap-results",
      fields: [
        {
          name: "appliance",
          label: "Appliance",
          options: [
            { value: "", label: "Choose…" },
            ...appliances.map((a) => ({ value: a.id, label: `${a.name} (${a.status})` })),
          ],
        },
        {
          name: "policy",
          label: "Policy",
          options: await policyOptions(options.policies, p.raw.policy ?? ""),
        },
        { name: "proto", label: "Protocol", placeholder: "tcp, udp, 6…" },
        { name: "ip0", label: "IP 0", placeholder: "10.0.0.1" },
        { name: "port0", label: "Port 0", placeholder: "any" },
        { name: "ip1", label: "IP 1", placeholder: "10.0.0.2" },
        { name: "port1", label: "Port 1", placeholder: "any" },
        {
          name: "filter",
          label: "Filter (tcpdump)",
          placeholder: "tcp port 80 and not host 10.0.0.9",
        },
        { name: "limit", label: "Packet limit", placeholder: "10000" },
      ],
    };
    let props: PcapResultsProps = { sessions: [], packets: [], packetTotal: 0 };
    let detail: PcapDecodeView | undefined;
    const errors = Object.keys(p.errors);
    if (errors.length === 1 && p.raw.appliance === "") {
      props.message = {
        kind: "info",
        text: "Choose an appliance: packets are read from the appliance that stored them.",
      };
    } else if (errors.length > 0) {
      props.message = {
        kind: "error",
        text: `Fix the fields marked below: ${describePcapErrors(p.errors)}`,
      };
    } else {
      const appliance = appliances.find((a) => a.id === p.applianceId);
      if (!appliance) props.message = { kind: "error", text: `No appliance ${p.applianceId}.` };
      else {
        try {
          const cap = await capture(p);
          props = await results(c, p, cap);
          detail = await decodeView(cap, p);
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          props.message = { kind: err.status === 400 ? "warning" : "error", text: err.message };
        }
      }
    }
    c.header("Vary", "HX-Request");
    if (
      c.req.header("hx-request") === "true" && c.req.header("hx-history-restore-request") !== "true"
    ) {
      return c.html(renderFragment(PcapResults(props)));
    }
    return c.html(renderPage(PcapAnalysisPage({ ...props, form, detail }), pageFrame(c)));
  });

  // The decode panel (htmx swaps it in); without JavaScript the page with `packet=` instead.
  app.get(`${PAGE}/packet`, async (c) => {
    const p = await checked(c);
    if (c.req.header("hx-request") !== "true") {
      return c.redirect(pcapHref(PAGE, { ...baseValues(p), packet: p.packet }), 303);
    }
    if (p.packet === undefined) throw new HttpError(400, "packet: expected a frame number ≥ 1");
    const detail = await decodeView(await capture(p), p);
    if (!detail) throw new HttpError(404, `no frame ${p.packet} in this search`);
    return c.html(renderFragment(PcapDetailPanel({ detail })));
  });

  app.get("/api/v1/pcap/search", async (c) => {
    const p = await checked(c);
    try {
      return c.json({ flows: await service.search(p.applianceId!, p.query) });
    } catch (err) {
      if (err instanceof PcapChannelError) throw new HttpError(statusOf(err), err.message);
      throw err;
    }
  });
  app.get("/api/v1/pcap/sessions", async (c) => {
    const p = await checked(c);
    const cap = await capture(p);
    const sessions = sessionsOf(cap.decoded).map(({ numbers: _n, ...s }) => s);
    return c.json({ packets: cap.packets.length, truncated: cap.truncated, sessions });
  });
  app.get("/api/v1/pcap/packets", async (c) => {
    const p = await checked(c);
    return c.json(await service.packetRows(await capture(p)));
  });
  app.get("/api/v1/pcap/decode", async (c) => {
    const p = await checked(c);
    if (p.packet === undefined) throw new HttpError(400, "packet: expected a frame number ≥ 1");
    const r = await service.decode(await capture(p), p.packet);
    if (!r) throw new HttpError(404, `no frame ${p.packet} in this search`);
    return c.json({ number: p.packet, decoder: r.decoder, tree: r.tree, hex: hexDump(r.bytes) });
  });
  app.get("/api/v1/pcap/sequence", async (c) => {
    const p = await checked(c, true);
    if (p.session!.protocol !== 6) throw new HttpError(400, "proto: a sequence diagram needs tcp");
    const cap = await capture(p);
    const model = sequenceOf(cap.decoded.filter((x) => inSession(x.d, p.session!)), p.session!);
    if (c.req.query("format") === "json") return c.json(model);
    return c.body(renderFragment(SequenceDiagram(model)), 200, {
      "content-type": "image/svg+xml; charset=utf-8",
    });
  });
  app.get("/api/v1/pcap/stream", async (c) => {
    const p = await checked(c, true);
    const format = c.req.query("format") ?? "text";
    if (!["text", "hex", "json"].includes(format)) {
      throw new HttpError(400, "format: expected text, hex or json");
    }
    const cap = await capture(p);
    const chunks = followStream(cap.decoded.filter((x) => inSession(x.d, p.session!)), p.session!);
    if (format === "json") {
      return c.json({
        chunks: chunks.map((k) => ({
          fromLeft: k.fromLeft,
          text: printable(k.bytes),
          bytes: k.bytes.length,
        })),
      });
    }
    const text = chunks.map((k) => format === "hex" ? hexDump(k.bytes) + "\n" : printable(k.bytes))
      .join("");
    return c.text(text);
  });
  app.get("/api/v1/pcap/download", async (c) => {
    const p = await checked(c);
    const cap = await capture(p);
    const wanted = c.req.queries("packets") ?? [];
    const numbers = new Set<number>();
    for (const item of wanted.flatMap((w) => w.split(",")).filter((w) => w !== "")) {
      const n = Number(item);
      if (!Number.isInteger(n) || n < 1 || n > cap.packets.length) {
        throw new HttpError(
          400,
          `packets: ${
            JSON.stringify(item.slice(0, 20))
          } is not a frame of this search (1-${cap.packets.length})`,
        );
      }
      numbers.add(n);
    }
    const body = numbers.size === 0 ? cap.bytes : subsetPcapng(cap.bytes, cap.packets, numbers);
    const stamp = timeText(cap.fetchedAt * 1000).replace(/[-: ]/g, "").slice(0, 15);
    return c.body(body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": PCAPNG_CONTENT_TYPE,
      "content-disposition": `attachment; filename="packets-${stamp}.pcapng"`,
      "cache-control": "no-store",
    });
  });
  return app;
}
