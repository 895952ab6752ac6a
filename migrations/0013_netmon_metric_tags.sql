ALTER TABLE "network_metrics_1h" ADD COLUMN "region_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "vpc_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "subnet_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "host_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "service_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "pod_ns_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "pod_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "region_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "vpc_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "subnet_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "host_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "service_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "pod_ns_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD COLUMN "pod_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "region_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "vpc_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "subnet_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "host_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "service_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "pod_ns_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "pod_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "region_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "vpc_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "subnet_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "host_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "service_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "pod_ns_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD COLUMN "pod_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "network_metrics_1h" DROP CONSTRAINT "network_metrics_1h_pk";
--> statement-breakpoint
ALTER TABLE "network_metrics_1h" ADD CONSTRAINT "network_metrics_1h_pk" PRIMARY KEY("appliance_id","time","capture_nic","observation_point","ip_0","ip_1","protocol","server_port","region_0","vpc_0","subnet_0","host_0","service_0","pod_ns_0","pod_0","region_1","vpc_1","subnet_1","host_1","service_1","pod_ns_1","pod_1");--> statement-breakpoint
ALTER TABLE "network_metrics_1m" DROP CONSTRAINT "network_metrics_1m_pk";
--> statement-breakpoint
ALTER TABLE "network_metrics_1m" ADD CONSTRAINT "network_metrics_1m_pk" PRIMARY KEY("appliance_id","time","capture_nic","observation_point","ip_0","ip_1","protocol","server_port","region_0","vpc_0","subnet_0","host_0","service_0","pod_ns_0","pod_0","region_1","vpc_1","subnet_1","host_1","service_1","pod_ns_1","pod_1");