CREATE TABLE "distribution_point" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "distribution_point_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"tunnel" text NOT NULL,
	"vni" integer DEFAULT 0 NOT NULL,
	"session_id" integer DEFAULT 0 NOT NULL,
	"destination" text NOT NULL,
	"source" text,
	"port" integer DEFAULT 4789 NOT NULL,
	"mtu" integer DEFAULT 1500 NOT NULL,
	"vlan" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "distribution_point_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "distribution_policy" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "distribution_policy_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"appliances" jsonb NOT NULL,
	"groups" jsonb NOT NULL,
	"capture_points" jsonb NOT NULL,
	"direction" text DEFAULT 'both' NOT NULL,
	"filter" text DEFAULT '' NOT NULL,
	"action" text DEFAULT 'distribute' NOT NULL,
	"slice" jsonb,
	"dedup_enabled" boolean DEFAULT false NOT NULL,
	"dedup_window_ms" integer DEFAULT 1000 NOT NULL,
	"bandwidth_bps" bigint,
	"fuse_bps" bigint,
	"point_ids" jsonb NOT NULL,
	"mode" text DEFAULT 'replicate' NOT NULL,
	"strip" jsonb NOT NULL,
	"masks" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "distribution_policy_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "npb_counters" (
	"id" bigserial NOT NULL,
	"appliance_id" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"object_id" text NOT NULL,
	"packets" bigint NOT NULL,
	"bytes" bigint NOT NULL,
	"matched" bigint NOT NULL,
	"drop_filter" bigint NOT NULL,
	"drop_direction" bigint NOT NULL,
	"drop_dedup" bigint NOT NULL,
	"drop_rate_limit" bigint NOT NULL,
	"drop_fuse" bigint NOT NULL,
	"drop_send_error" bigint NOT NULL,
	"truncated" bigint NOT NULL,
	"last_error" text NOT NULL,
	"last_send_at" bigint NOT NULL,
	CONSTRAINT "npb_counters_appliance_id_time_id_pk" PRIMARY KEY("appliance_id","time","id")
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE INDEX "npb_counters_object_idx" ON "npb_counters" USING btree ("kind","object_id","time");