CREATE TABLE "pcap_index" (
	"appliance_id" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"policy" text NOT NULL,
	"file_id" bigint NOT NULL,
	"protocol" smallint NOT NULL,
	"ip_a" "inet" NOT NULL,
	"port_a" integer NOT NULL,
	"ip_b" "inet" NOT NULL,
	"port_b" integer NOT NULL,
	"start_time" bigint NOT NULL,
	"end_time" bigint NOT NULL,
	"packets" bigint NOT NULL,
	"bytes" bigint NOT NULL,
	"evicted" smallint DEFAULT 0 NOT NULL
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE TABLE "pcap_policy" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pcap_policy_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"appliances" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"groups" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"capture_points" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"filter" text,
	"match" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"truncate_bytes" integer DEFAULT 0 NOT NULL,
	"start_at" timestamp with time zone,
	"stop_at" timestamp with time zone,
	"duration_seconds" integer,
	"max_packets" bigint,
	"max_bytes" bigint,
	"quota_bytes" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pcap_policy_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "pcap_storage" (
	"appliance_id" text PRIMARY KEY NOT NULL,
	"quota_bytes" bigint,
	"quota_percent" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "pcap_index_a_idx" ON "pcap_index" USING btree ("appliance_id","ip_a","ip_b");--> statement-breakpoint
CREATE INDEX "pcap_index_policy_idx" ON "pcap_index" USING btree ("policy","time");--> statement-breakpoint
CREATE INDEX "pcap_index_file_idx" ON "pcap_index" USING btree ("appliance_id","file_id");