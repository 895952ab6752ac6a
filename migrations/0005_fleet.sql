CREATE TABLE "appliance" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"group_name" text,
	"hostname" text NOT NULL,
	"credential_hash" text NOT NULL,
	"credential_prefix" text NOT NULL,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"version" text NOT NULL,
	"last_seen_at" timestamp with time zone,
	"last_heartbeat" jsonb,
	"health" jsonb,
	CONSTRAINT "appliance_credential_hash_unique" UNIQUE("credential_hash")
);
--> statement-breakpoint
CREATE TABLE "appliance_config" (
	"appliance_id" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"capture_points" jsonb NOT NULL,
	"reporting" jsonb NOT NULL,
	"entitlement" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "appliance_heartbeat" (
	"appliance_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"sent_at" bigint NOT NULL,
	"counters" jsonb NOT NULL,
	CONSTRAINT "appliance_heartbeat_appliance_id_at_pk" PRIMARY KEY("appliance_id","at")
);
--> statement-breakpoint
CREATE TABLE "enrollment_token" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "enrollment_token_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" text,
	"created_by" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	CONSTRAINT "enrollment_token_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "manager_key" (
	"id" text PRIMARY KEY NOT NULL,
	"public_pem" text NOT NULL,
	"private_pem" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "appliance_heartbeat_at_idx" ON "appliance_heartbeat" USING btree ("at");