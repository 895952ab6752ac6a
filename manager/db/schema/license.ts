import { integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Installed licenses. `document` is the signed file as uploaded and the only thing the manager
 * trusts: it is verified again whenever it is loaded, so editing a row (or any column here)
 * cannot grant anything. The other columns are copies for people reading the table with SQL.
 */
export const license = pgTable("license", {
  id: text("id").primaryKey(),
  customer: text("customer").notNull(),
  keyId: text("key_id").notNull(),
  modules: text("modules").array().notNull(),
  appliances: integer("appliances").notNull(),
  notBefore: timestamp("not_before", { withTimezone: true, mode: "date" }).notNull(),
  notAfter: timestamp("not_after", { withTimezone: true, mode: "date" }).notNull(),
  graceDays: integer("grace_days").notNull(),
  document: text("document").notNull(),
  installedAt: timestamp("installed_at", { withTimezone: true, mode: "date" }).notNull()
    .defaultNow(),
  /** Who installed it: a user name, "cli", or "api" until access control names users. */
  installedBy: text("installed_by"),
});

/**
 * Expiry notices already sent as events, so that each (module, kind, date) is announced once
 * even across restarts and several managers.
 */
export const licenseNotice = pgTable("license_notice", {
  module: text("module").notNull(),
  kind: text("kind").notNull(),
  /** The coverage end (or disable time) the notice is about. */
  at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
  sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.module, t.kind, t.at] })]);
