import {
  bigint,
  index,
  inet,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * Per-second network metrics for the last hour (issue #9), from the appliance's `metrics_1s`
 * stream (`appliance/flow/seconds.ts`): one row per (appliance, second, capture point, client,
 * server, protocol, server port) with the client's and server's AutoTagging tags of ingest time.
 * A plain table, not partitioned: rows older than an hour are deleted every minute
 * (`manager/netmon/seconds.ts`), about 8,000 rows a minute at the bench scale of 10M flow-log
 * rows a day, which PGlite and PostgreSQL both do in milliseconds.
 */
export const networkMetrics1s = pgTable("network_metrics_1s", {
  time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
  applianceId: text("appliance_id").notNull(),
  captureNic: bigint("capture_nic", { mode: "number" }).notNull(),
  observationPoint: text("observation_point").notNull(),
  ip0: inet("ip_0").notNull(),
  ip1: inet("ip_1").notNull(),
  protocol: smallint("protocol").notNull(),
  serverPort: integer("server_port").notNull(),
  ...Object.fromEntries(
    [0, 1].flatMap((n) =>
      ["region", "vpc", "subnet", "host", "service", "pod_ns", "pod"].map((t) => {
        const name = `${t}_${n}`;
        return [name, text(name).notNull().default("")];
      })
    ),
  ),
  packetTx: bigint("packet_tx", { mode: "number" }).notNull(),
  packetRx: bigint("packet_rx", { mode: "number" }).notNull(),
  byteTx: bigint("byte_tx", { mode: "number" }).notNull(),
  byteRx: bigint("byte_rx", { mode: "number" }).notNull(),
  newFlow: bigint("new_flow", { mode: "number" }).notNull(),
  closedFlow: bigint("closed_flow", { mode: "number" }).notNull(),
  rstCount: bigint("rst_count", { mode: "number" }).notNull(),
}, (t) => [
  index("network_metrics_1s_time_idx").on(t.time),
  index("network_metrics_1s_ip_0_idx").on(t.ip0, t.time),
  index("network_metrics_1s_ip_1_idx").on(t.ip1, t.time),
]);
