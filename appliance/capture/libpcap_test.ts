import assert from "node:assert/strict";
import {
  cString,
  errbufText,
  findAllDevices,
  libpcap,
  libpcapVersion,
  openHeaderOnlySavefile,
  PcapIfFlag,
  PcapStatus,
  statusText,
} from "./libpcap.ts";
import { LinkType } from "./mod.ts";

Deno.test("libpcap() loads the system libpcap once and names its version", () => {
  assert.equal(libpcap(), libpcap());
  assert.match(libpcapVersion(), /^libpcap version 1\.\d+/);
});

Deno.test("statusText() gives libpcap's wording of status codes", () => {
  assert.match(statusText(PcapStatus.NoSuchDevice), /No such device/);
  assert.match(statusText(PcapStatus.PermissionDenied), /permission/);
});

Deno.test("findAllDevices() lists the loopback interface", () => {
  const lo = findAllDevices().find((device) => device.name === "lo");
  assert.ok(lo);
  assert.ok((lo.flags & PcapIfFlag.Loopback) !== 0);
});

Deno.test("pcap_create() + pcap_activate() report a missing interface", () => {
  const lib = libpcap();
  const errbuf = new Uint8Array(256);
  const handle = lib.pcap_create(cString("no-such-if0"), errbuf);
  assert.ok(handle !== null, errbufText(errbuf));
  try {
    assert.equal(lib.pcap_activate(handle), PcapStatus.NoSuchDevice);
  } finally {
    lib.pcap_close(handle);
  }
});

Deno.test("openHeaderOnlySavefile() opens a savefile handle with the file's link type", () => {
  const lib = libpcap();
  for (const bigEndian of [false, true]) {
    const handle = openHeaderOnlySavefile(LinkType.Raw, 65535, bigEndian);
    try {
      assert.equal(lib.pcap_datalink(handle), 12); // DLT_RAW
      const next = new BigUint64Array(2);
      const status = lib.pcap_next_ex(handle, next.subarray(0, 1), next.subarray(1));
      assert.equal(status, PcapStatus.Break); // end of the file: it holds no packets
    } finally {
      lib.pcap_close(handle);
    }
  }
});

Deno.test("cString() NUL-terminates UTF-8", () => {
  assert.deepEqual([...cString("aé")], [0x61, 0xc3, 0xa9, 0]);
  assert.equal(errbufText(cString("oops")), "oops");
});
