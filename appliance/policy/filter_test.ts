import assert from "node:assert/strict";
import { CapturedPacket, LinkType } from "../capture/mod.ts";
import { testWithTools } from "../../tests/support/tools.ts";
import { bpfInstructions, compileFilter, FilterError, PacketFilter } from "./mod.ts";

/** An Ethernet + IPv4 + TCP frame from 10.0.0.1:40000 to 10.0.0.2:`port` with flags `flags`. */
function tcpFrame(port: number, flags = 0x02): Uint8Array {
  const frame = new Uint8Array(54);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  frame.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  frame.set([0x9c, 0x40, port >> 8, port & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, flags], 34);
  return frame;
}

function packetOf(frame: Uint8Array, linkType: number = LinkType.Ethernet): CapturedPacket {
  const packet = new CapturedPacket();
  packet.buffer = frame;
  packet.dataOffset = 0;
  packet.capturedLength = frame.length;
  packet.originalLength = frame.length;
  packet.linkType = linkType;
  return packet;
}

testWithTools(
  "compileFilter() yields the instructions tcpdump -dd prints",
  ["tcpdump"],
  async () => {
    for (const expression of ["tcp port 80", "vlan 10 and ip6 and udp", "ether[0] & 1 != 0"]) {
      const out = await new Deno.Command("tcpdump", {
        args: ["-dd", expression],
        stdout: "piped",
        stderr: "null",
      }).output();
      const theirs = [
        ...new TextDecoder().decode(out.stdout).matchAll(
          /\{ (0x[0-9a-f]+), (\d+), (\d+), (0x[0-9a-f]+) \}/g,
        ),
      ].map((m) => ({ code: Number(m[1]), jt: Number(m[2]), jf: Number(m[3]), k: Number(m[4]) }));
      assert.ok(theirs.length > 3);
      assert.deepEqual(bpfInstructions(compileFilter(expression)), theirs, expression);
    }
  },
);

testWithTools(
  "compileFilter() rejects a bad expression with libpcap's message, as tcpdump prints it",
  ["tcpdump"],
  async () => {
    const bad = ["tcp port", "host 300.1.1.1", "port 99999", "net 10.0.0.1/8", "vlan and and"];
    for (const expression of bad) {
      const out = await new Deno.Command("tcpdump", {
        args: ["-d", expression],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(out.success, false);
      const said = new TextDecoder().decode(out.stderr).split("\n").find((line) =>
        line.startsWith("tcpdump: ")
      )!;
      assert.throws(() => compileFilter(expression), (err: unknown) => {
        assert.ok(err instanceof FilterError);
        assert.equal(err.expression, expression);
        assert.equal(`tcpdump: ${err.reason}`, said);
        assert.equal(err.message, `invalid filter ${JSON.stringify(expression)}: ${err.reason}`);
        return true;
      });
    }
  },
);

Deno.test("compileFilter() knows that raw IP has no Ethernet addresses", () => {
  assert.throws(
    () => compileFilter("ether host 1:2:3:4:5:6", { linkType: LinkType.Raw }),
    /invalid filter "ether host 1:2:3:4:5:6": ethernet addresses supported only on/,
  );
  assert.ok(compileFilter("tcp", { linkType: LinkType.Raw }).length > 2);
});

Deno.test("compileFilter() with an empty expression accepts every packet", () => {
  const filter = new PacketFilter("", LinkType.Ethernet);
  assert.equal(filter.matches(packetOf(new Uint8Array(1))), true);
});

Deno.test("PacketFilter.matches() tests ports and flags and counts what it rejects", () => {
  const filter = new PacketFilter("tcp dst port 443 and tcp[tcpflags] & tcp-syn != 0", 1);
  assert.equal(filter.backend, "compiled");
  assert.equal(filter.matches(packetOf(tcpFrame(443))), true);
  assert.equal(filter.matches(packetOf(tcpFrame(443, 0x10))), false);
  assert.equal(filter.matches(packetOf(tcpFrame(80))), false);
  assert.equal(filter.matches(packetOf(tcpFrame(443).subarray(0, 30))), false);
  assert.equal(filter.rejected, 3);
});

Deno.test("PacketFilter.matches() sees only the captured bytes and the wire length", () => {
  const frame = tcpFrame(443);
  const buffer = new Uint8Array(100);
  buffer.set(frame, 20);
  const packet = packetOf(frame);
  packet.buffer = buffer;
  packet.dataOffset = 20;
  packet.originalLength = 1500;
  assert.equal(new PacketFilter("greater 1000 and port 443", 1).matches(packet), true);
  packet.capturedLength = 36; // cut inside the TCP ports
  assert.equal(new PacketFilter("port 443", 1).matches(packet), false);
  assert.equal(new PacketFilter("ip", 1).matches(packet), true);
});

Deno.test("PacketFilter compiles per link type and counts link types it cannot apply to", () => {
  const filter = new PacketFilter("ether src 02:00:00:00:00:01 or ip", LinkType.Ethernet, {
    interpret: true,
  });
  assert.equal(filter.backend, "interpreted");
  assert.equal(filter.matches(packetOf(tcpFrame(80))), true);
  const rawIp = tcpFrame(80).subarray(14);
  assert.equal(filter.matches(packetOf(rawIp, LinkType.Raw)), false);
  assert.equal(filter.unsupportedLinkType, 1);
  assert.match(filter.unsupported[0]!.reason, /ethernet addresses supported only/);
  const ipOnly = new PacketFilter("ip and port 80", LinkType.Ethernet);
  assert.equal(ipOnly.matches(packetOf(rawIp, LinkType.Raw)), true);
  assert.equal(ipOnly.matches(packetOf(rawIp, LinkType.Ipv4)), true);
  assert.equal(ipOnly.unsupportedLinkType, 0);
});

Deno.test("PacketFilter for a capture file checks every IPv6 loopback family value", () => {
  // LINKTYPE_NULL carries the writer's AF_INET6: 24, 28 or 30 on the BSDs, 10 on Linux.
  const ip6 = new Uint8Array(44);
  ip6[4] = 0x60;
  const file = new PacketFilter("ip6", LinkType.Null, { fileByteOrder: "little" });
  const live = new PacketFilter("ip6", LinkType.Null);
  for (const [family, fromFile, fromLive] of [[30, true, false], [10, false, true]] as const) {
    ip6[0] = family;
    assert.equal(file.matches(packetOf(ip6, LinkType.Null)), fromFile, `file, AF ${family}`);
    assert.equal(live.matches(packetOf(ip6, LinkType.Null)), fromLive, `live, AF ${family}`);
  }
  ip6.set([0, 0, 0, 30], 0);
  const bigFile = new PacketFilter("ip6", LinkType.Null, { fileByteOrder: "big" });
  assert.equal(bigFile.matches(packetOf(ip6, LinkType.Null)), true);
  assert.equal(file.matches(packetOf(ip6, LinkType.Null)), false);
});
