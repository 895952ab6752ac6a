import assert from "node:assert/strict";
import {
  classicPcapEntries,
  corpusAvailable,
  corpusPath,
  readTruth,
} from "../../tests/tools/corpus.ts";
import { CaptureError, openCaptureFile } from "./mod.ts";

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
