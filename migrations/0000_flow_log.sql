CREATE TABLE "flow_log" (
	"id" bigserial NOT NULL,
	"appliance_id" text NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"flow_id" bigint NOT NULL,
	"start_time" bigint NOT NULL,
	"end_time" bigint NOT NULL,
	"duration" bigint NOT NULL,
	"ip_version" smallint NOT NULL,
	"ip_0" "inet" NOT NULL,
	"ip_1" "inet" NOT NULL,
	"client_port" integer NOT NULL,
	"server_port" integer NOT NULL,
	"protocol" smallint NOT NULL,
	"vlan" integer NOT NULL,
	"packet_tx" bigint NOT NULL,
	"packet_rx" bigint NOT NULL,
	"byte_tx" bigint NOT NULL,
	"byte_rx" bigint NOT NULL,
	"tcp_flags_bit_0" smallint NOT NULL,
	"tcp_flags_bit_1" smallint NOT NULL,
	CONSTRAINT "flow_log_appliance_id_time_id_pk" PRIMARY KEY("appliance_id","time","id")
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE TABLE "ingest_batch" (
	"appliance_id" text NOT NULL,
	"stream" text NOT NULL,
	"seq" bigint NOT NULL,
	"records" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ingest_batch_appliance_id_stream_seq_pk" PRIMARY KEY("appliance_id","stream","seq")
);
--> statement-breakpoint
CREATE INDEX "flow_log_time_idx" ON "flow_log" USING btree ("time");--> statement-breakpoint
CREATE INDEX "flow_log_ip_0_idx" ON "flow_log" USING btree ("ip_0");--> statement-breakpoint
CREATE INDEX "flow_log_ip_1_idx" ON "flow_log" USING btree ("ip_1");