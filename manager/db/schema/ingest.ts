import {
  bigint,
  bigserial,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * Per (appliance, stream): the highest seq stored. Its row is locked (`FOR UPDATE`) by each
 * ingest transaction of that stream, which orders them; together with `ingest_batch` (the seqs
 * stored) it tells a repeated batch (200 duplicate) from one older than the last stored that
 * was never stored (409). `ingest_batch` rows are pruned by age (retention.ts); this row stays.
 */
export const ingestStream = pgTable("ingest_stream", {
  applianceId: text("appliance_id").notNull(),
  stream: text("stream").notNull(),
  highSeq: bigint("high_seq", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.applianceId, t.stream] })]);

/**
 * The `events` stream (wire `EventRecord`): what happened on an appliance (spool overflow,
 * config applied or refused, …). Partitioned by RANGE ("time") per UTC day like `flow_log`, with
 * the same Citus-ready key (DESIGN §4).
 */
export const applianceEvent = pgTable("appliance_event", {
  id: bigserial("id", { mode: "number" }).notNull(),
  applianceId: text("appliance_id").notNull(),
  time: timestamp("time", { withTimezone: true, mode: "date" }).notNull(),
  kind: text("kind").notNull(),
  detail: jsonb("detail").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull()
    .defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.applianceId, t.time, t.id] }),
  index("appliance_event_time_idx").on(t.time),
]);
