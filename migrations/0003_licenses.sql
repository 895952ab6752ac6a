CREATE TABLE "license" (
	"id" text PRIMARY KEY NOT NULL,
	"customer" text NOT NULL,
	"key_id" text NOT NULL,
	"modules" text[] NOT NULL,
	"appliances" integer NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"grace_days" integer NOT NULL,
	"document" text NOT NULL,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"installed_by" text
);
--> statement-breakpoint
CREATE TABLE "license_notice" (
	"module" text NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "license_notice_module_kind_at_pk" PRIMARY KEY("module","kind","at")
);
