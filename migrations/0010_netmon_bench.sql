CREATE TABLE "network_metrics_dim_1h" (
	"time" timestamp with time zone NOT NULL,
	"dimension" text NOT NULL,
	"key" text NOT NULL,
	"flow_rows" bigint DEFAULT 0 NOT NULL,
	"new_flow" bigint DEFAULT 0 NOT NULL,
	"closed_flow" bigint DEFAULT 0 NOT NULL,
	"packet_tx" bigint DEFAULT 0 NOT NULL,
	"packet_rx" bigint DEFAULT 0 NOT NULL,
	"byte_tx" bigint DEFAULT 0 NOT NULL,
	"byte_rx" bigint DEFAULT 0 NOT NULL,
	"rtt_sum" bigint DEFAULT 0 NOT NULL,
	"rtt_count" bigint DEFAULT 0 NOT NULL,
	"rtt_client_sum" bigint DEFAULT 0 NOT NULL,
	"rtt_client_count" bigint DEFAULT 0 NOT NULL,
	"rtt_server_sum" bigint DEFAULT 0 NOT NULL,
	"rtt_server_count" bigint DEFAULT 0 NOT NULL,
	"srt_sum" bigint DEFAULT 0 NOT NULL,
	"srt_count" bigint DEFAULT 0 NOT NULL,
	"art_sum" bigint DEFAULT 0 NOT NULL,
	"art_count" bigint DEFAULT 0 NOT NULL,
	"retrans_tx" bigint DEFAULT 0 NOT NULL,
	"retrans_rx" bigint DEFAULT 0 NOT NULL,
	"zero_win_tx" bigint DEFAULT 0 NOT NULL,
	"zero_win_rx" bigint DEFAULT 0 NOT NULL,
	"syn_count" bigint DEFAULT 0 NOT NULL,
	"synack_count" bigint DEFAULT 0 NOT NULL,
	"client_establish_fail" bigint DEFAULT 0 NOT NULL,
	"server_establish_fail" bigint DEFAULT 0 NOT NULL,
	"tcp_transfer_fail" bigint DEFAULT 0 NOT NULL,
	"client_rst_flow" bigint DEFAULT 0 NOT NULL,
	"server_rst_flow" bigint DEFAULT 0 NOT NULL,
	"tcp_timeout" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "network_metrics_dim_1h_pk" PRIMARY KEY("dimension","time","key")
) PARTITION BY RANGE ("time");
--> statement-breakpoint
CREATE INDEX "network_metrics_dim_1h_key_idx" ON "network_metrics_dim_1h" USING btree ("dimension","key","time");--> statement-breakpoint
CREATE INDEX "network_metrics_1h_ip_0_idx" ON "network_metrics_1h" USING btree ("ip_0","time");--> statement-breakpoint
CREATE INDEX "network_metrics_1h_ip_1_idx" ON "network_metrics_1h" USING btree ("ip_1","time");--> statement-breakpoint
CREATE INDEX "network_metrics_1m_ip_0_idx" ON "network_metrics_1m" USING btree ("ip_0","time");--> statement-breakpoint
CREATE INDEX "network_metrics_1m_ip_1_idx" ON "network_metrics_1m" USING btree ("ip_1","time");--> statement-breakpoint
-- Flow-log search by IP and time (manager/query/flows.ts): one index range per side, then time.
-- Hand-written: the flow_log schema belongs to the ingest path, and drizzle-kit diffs only its snapshot.
CREATE INDEX "flow_log_ip_0_time_idx" ON "flow_log" USING btree ("ip_0","time");--> statement-breakpoint
CREATE INDEX "flow_log_ip_1_time_idx" ON "flow_log" USING btree ("ip_1","time");
