// Read by drizzle-kit (`deno task db:generate`); uses process.env so Node can read it too.
import process from "node:process";
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./manager/db/schema/mod.ts",
  out: "./migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres://localhost/tapline" },
});
