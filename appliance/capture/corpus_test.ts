import assert from "node:assert/strict";
import {
  classicPcapEntries,
  corpusAvailable,
  corpusPath,
  readIndex,
  readTruth,
} from "../../tests/tools/corpus.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import { CaptureError, LinkType, openCaptureFile } from "./mod.ts";

const ignore = !corpusAvailable();

Deno.test({
  name: "openCaptureFile() reads every classic pcap in the corpus with tshark's counts and lengths",
  ignore,
  async fn() {
    const entries = ignore ? [] : classicPcapEntries();
    let packets = 0;
    const formats = new Set<string>();
    for (const entry of entries) {
      const source = await openCaptureFile(corpusPath(entry.file));
      const truth = readTruth(entry.file);
      let count = 0;
      while (source.next()) {
        const expected = truth[count]?.["frame.len"];
        assert.equal(String(source.packet.originalLength), expected, `${entry.file} #${count + 1}`);
        count++;
      }
      assert.equal(source.error, undefined, `${entry.file}: ${source.error?.message}`);
      assert.equal(count, entry.packetCount, entry.file);
      packets += count;
      formats.add(`${entry.format}/${(source as { bigEndian?: boolean }).bigEndian ? "be" : "le"}`);
    }
    console.log(
      `  ${entries.length} files, ${packets} packets, formats: ${[...formats].join(" ")}`,
    );
    assert.ok(entries.length > 300);
    assert.ok(formats.has("pcap (nanosecond)/be") && formats.has("pcap/be"));
  },
});

Deno.test({
  name: "openCaptureFile() reports where ndpi/fuzz-2021-10-13.pcap is cut short",
  ignore,
  async fn() {
    const source = await openCaptureFile(corpusPath("ndpi/fuzz-2021-10-13.pcap"));
    let count = 0;
    while (source.next()) count++;
    assert.equal(count, 0);
    assert.ok(source.error instanceof CaptureError);
    assert.equal(source.error.code, "truncated_packet");
    assert.equal(
      source.error.message,
      "truncated packet data: packet 1 at byte offset 24 needs 524501 bytes, only 199 present",
    );
  },
});

Deno.test({
  name: "openCaptureFile() yields the packets before damage in a cut corpus file",
  ignore,
  async fn() {
    const bytes = await Deno.readFile(corpusPath("zeek/http/get-gzip.pcap"));
    const path = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(path, bytes.subarray(0, bytes.length - 5));
      const source = await openCaptureFile(path);
      let count = 0;
      while (source.next()) count++;
      assert.equal(count, readTruth("zeek/http/get-gzip.pcap").length - 1);
      assert.equal(source.error?.packetNumber, count + 1);
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test("openCaptureFile() turns a missing file into a CaptureError", async () => {
  await assert.rejects(openCaptureFile("/nonexistent/x.pcap"), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.equal(err.code, "io");
    assert.equal(err.message, "no such file");
    return true;
  });
});

/** capinfos names of the link types INDEX.tsv lists per packet for multi-interface files. */
const LINK_NAMES: Record<string, number> = {
  "Ethernet": LinkType.Ethernet,
  "NULL/Loopback": LinkType.Null,
  "Linux cooked-mode capture v1": LinkType.LinuxSll,
};

Deno.test({
  name:
    "openCaptureFile() reads every pcapng in the corpus with tshark's counts, lengths and link types",
  ignore,
  async fn() {
    const entries = ignore ? [] : readIndex().filter((e) => e.format === "pcapng");
    let packets = 0;
    let mixed = 0;
    for (const entry of entries) {
      const source = await openCaptureFile(corpusPath(entry.file));
      assert.equal(source.format, "pcapng", entry.file);
      const truth = readTruth(entry.file);
      const links = new Map<number, number>();
      let count = 0;
      while (source.next()) {
        const expected = truth[count]?.["frame.len"];
        assert.equal(String(source.packet.originalLength), expected, `${entry.file} #${count + 1}`);
        links.set(source.packet.linkType, (links.get(source.packet.linkType) ?? 0) + 1);
        count++;
      }
      assert.equal(source.error, undefined, `${entry.file}: ${source.error?.message}`);
      assert.equal(count, entry.packetCount, entry.file);
      // e.g. "per-packet: Ethernet (62); NULL/Loopback (2)"
      if (entry.linkType.startsWith("per-packet: ")) {
        mixed++;
        const expected = new Map<number, number>();
        for (const part of entry.linkType.slice(12).split("; ")) {
          const m = /^(.*) \((\d+)\)$/.exec(part)!;
          expected.set(LINK_NAMES[m[1]!]!, Number(m[2]));
        }
        assert.deepEqual(links, expected, entry.file);
      }
      packets += count;
    }
    console.log(
      `  ${entries.length} pcapng files, ${packets} packets, ${mixed} with mixed link types`,
    );
    assert.ok(entries.length >= 47);
    assert.ok(mixed >= 3);
  },
});

testWithTools(
  "openCaptureFile() gives tshark's timestamps and interfaces for multi-interface pcapng files",
  ["tshark"],
  async () => {
    if (ignore) return;
    const files = [
      "pcapplusplus/pcap_examples/many_interfaces-1.pcapng",
      "pcapplusplus/pcap_examples/too_many_interfaces.pcapng",
      "pcapplusplus/pcap_examples/pcapng-example.pcapng",
      "pcapplusplus/packet_examples/ldap.pcapng",
      "zeek/pcapng-multi-interface.pcapng",
    ];
    let compared = 0;
    for (const file of files) {
      const out = await new Deno.Command("tshark", {
        args: [
          "-n",
          "-r",
          corpusPath(file),
          "-T",
          "fields",
          "-e",
          "frame.time_epoch",
          "-e",
          "frame.interface_id",
          "-e",
          "frame.cap_len",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
      const source = await openCaptureFile(corpusPath(file));
      let n = 0;
      while (source.next()) {
        const [time, iface, cap] = lines[n++]!.split("\t");
        const p = source.packet;
        assert.equal(p.interfaceId, Number(iface), `${file} #${n} interface`);
        assert.equal(p.capturedLength, Number(cap), `${file} #${n} cap_len`);
        // pcapng-example.pcapng's second interface has timestamps near 2^64 µs, beyond a double.
        if (!Number.isSafeInteger(p.timestampUs)) continue;
        const [whole, fraction = ""] = time!.split(".");
        const want = BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, "0").slice(0, 9));
        assert.equal(BigInt(p.timestampUs) * 1000n + BigInt(p.extraNs), want, `${file} #${n} time`);
        compared++;
      }
      assert.equal(n, lines.length, file);
    }
    assert.ok(compared > 100, `${compared} timestamps compared`);
  },
);

Deno.test({
  name: "openCaptureFile() yields the packets before damage in a cut pcapng corpus file",
  ignore,
  async fn() {
    const file = "pcapplusplus/pcap_examples/many_interfaces-1.pcapng";
    const bytes = await Deno.readFile(corpusPath(file));
    const path = await Deno.makeTempFile({ suffix: ".pcapng" });
    try {
      await Deno.writeFile(path, bytes.subarray(0, bytes.length - 5));
      const source = await openCaptureFile(path);
      let count = 0;
      while (source.next()) count++;
      assert.ok(source.error instanceof CaptureError);
      assert.equal(source.error.code, "truncated_block");
      assert.equal(source.error.packetNumber, count + 1);
      assert.match(
        source.error.message,
        /^truncated block: block \d+ \(\w+\) at byte offset \d+ needs \d+ bytes, only \d+ present$/,
      );
      assert.ok(count >= readTruth(file).length - 1, `${count} packets before the cut`);
    } finally {
      await Deno.remove(path);
    }
  },
});
