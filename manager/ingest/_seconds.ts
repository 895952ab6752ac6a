// The `metrics_1s` stream's rows (issue #9): per-second network metrics into network_metrics_1s,
// with the AutoTagging tags of the client (`_0`) and server (`_1`) as metrics rows carry them.
import type { SecondRecord } from "../../appliance/wire/mod.ts";
import type { Tagger } from "../inventory/mod.ts";
import { copyText } from "./_tx.ts";

const TAGS = ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod"] as const;

export const SECOND_TAG_COLUMNS: readonly string[] = [0, 1].flatMap((n) =>
  TAGS.map((t) => `${t}_${n}`)
);

export const SECOND_COLUMNS: readonly string[] = [
  "appliance_id",
  "time",
  "capture_nic",
  "observation_point",
  "ip_0",
  "ip_1",
  "protocol",
  "server_port",
  "packet_tx",
  "packet_rx",
  "byte_tx",
  "byte_rx",
  "new_flow",
  "closed_flow",
  "rst_count",
];

/**
 * The COPY line of a record. Every value was checked by the wire module (integers, IP text,
 * observation points); inventory names are free text and escaped. The client side is tagged
 * without its port (a row folds every client port), as the minute metrics' `service_0` is not.
 */
export function secondLine(appliance: string, r: SecondRecord, tagger?: Tagger): string {
  let line = `${appliance}\t${
    new Date(r.time / 1000).toISOString()
  }\t${r.captureNic}\t${r.observationPoint}\t${r.ip0}\t${r.ip1}\t${r.protocol}\t${r.serverPort}\t${r.packetTx}\t${r.packetRx}\t${r.byteTx}\t${r.byteRx}\t${r.newFlow}\t${r.closedFlow}\t${r.rstCount}`;
  if (tagger !== undefined) {
    for (
      const t of [tagger.tag(r.ip0, 0, r.protocol), tagger.tag(r.ip1, r.serverPort, r.protocol)]
    ) {
      line += `\t${copyText(t.region)}\t${copyText(t.vpc)}\t${copyText(t.subnet)}\t${
        copyText(t.host)
      }\t${copyText(t.service)}\t${copyText(t.podNs)}\t${copyText(t.pod)}`;
    }
  }
  return line + "\n";
}
