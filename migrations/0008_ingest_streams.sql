CREATE TABLE "appliance_event" (
	"id" bigserial NOT NULL,
	"appliance_id" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"detail" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appliance_event_appliance_id_time_id_pk" PRIMARY KEY("appliance_id","time","id")
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE TABLE "ingest_stream" (
	"appliance_id" text NOT NULL,
	"stream" text NOT NULL,
	"high_seq" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ingest_stream_appliance_id_stream_pk" PRIMARY KEY("appliance_id","stream")
);
--> statement-breakpoint
CREATE INDEX "appliance_event_time_idx" ON "appliance_event" USING btree ("time");--> statement-breakpoint
-- The high-water mark of every stream already reported (ingest_batch holds its seqs).
INSERT INTO "ingest_stream" ("appliance_id", "stream", "high_seq")
SELECT "appliance_id", "stream", max("seq") FROM "ingest_batch" GROUP BY 1, 2
ON CONFLICT DO NOTHING;
