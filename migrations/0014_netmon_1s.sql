CREATE TABLE "network_metrics_1s" (
	"time" timestamp with time zone NOT NULL,
	"appliance_id" text NOT NULL,
	"capture_nic" bigint NOT NULL,
	"observation_point" text NOT NULL,
	"ip_0" "inet" NOT NULL,
	"ip_1" "inet" NOT NULL,
	"protocol" smallint NOT NULL,
	"server_port" integer NOT NULL,
	"region_0" text DEFAULT '' NOT NULL,
	"vpc_0" text DEFAULT '' NOT NULL,
	"subnet_0" text DEFAULT '' NOT NULL,
	"host_0" text DEFAULT '' NOT NULL,
	"service_0" text DEFAULT '' NOT NULL,
	"pod_ns_0" text DEFAULT '' NOT NULL,
	"pod_0" text DEFAULT '' NOT NULL,
	"region_1" text DEFAULT '' NOT NULL,
	"vpc_1" text DEFAULT '' NOT NULL,
	"subnet_1" text DEFAULT '' NOT NULL,
	"host_1" text DEFAULT '' NOT NULL,
	"service_1" text DEFAULT '' NOT NULL,
	"pod_ns_1" text DEFAULT '' NOT NULL,
	"pod_1" text DEFAULT '' NOT NULL,
	"packet_tx" bigint NOT NULL,
	"packet_rx" bigint NOT NULL,
	"byte_tx" bigint NOT NULL,
	"byte_rx" bigint NOT NULL,
	"new_flow" bigint NOT NULL,
	"closed_flow" bigint NOT NULL,
	"rst_count" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "network_metrics_1s_time_idx" ON "network_metrics_1s" USING btree ("time");--> statement-breakpoint
CREATE INDEX "network_metrics_1s_ip_0_idx" ON "network_metrics_1s" USING btree ("ip_0","time");--> statement-breakpoint
CREATE INDEX "network_metrics_1s_ip_1_idx" ON "network_metrics_1s" USING btree ("ip_1","time");