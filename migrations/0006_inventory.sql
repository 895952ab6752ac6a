CREATE TABLE "inv_host" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"ips" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"region" text DEFAULT '' NOT NULL,
	"vpc" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inv_pod" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"namespace" text DEFAULT 'default' NOT NULL,
	"ips" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"host" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inv_region" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inv_service" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"protocol" smallint DEFAULT 0 NOT NULL,
	"endpoints" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inv_subnet" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"cidr" text NOT NULL,
	"vpc" text DEFAULT '' NOT NULL,
	"region" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inv_vpc" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "region_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "vpc_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "subnet_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "subnet_id_0" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "host_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "service_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "pod_ns_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "pod_0" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "labels_0" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "region_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "vpc_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "subnet_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "subnet_id_1" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "host_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "service_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "pod_ns_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "pod_1" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "flow_log" ADD COLUMN "labels_1" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "inv_host_name_idx" ON "inv_host" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "inv_pod_ns_name_idx" ON "inv_pod" USING btree ("namespace","name");--> statement-breakpoint
CREATE UNIQUE INDEX "inv_region_name_idx" ON "inv_region" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "inv_service_name_idx" ON "inv_service" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "inv_subnet_name_idx" ON "inv_subnet" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "inv_subnet_cidr_idx" ON "inv_subnet" USING btree ("cidr");--> statement-breakpoint
CREATE UNIQUE INDEX "inv_vpc_name_idx" ON "inv_vpc" USING btree ("name");