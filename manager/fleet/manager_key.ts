// The manager's own Ed25519 key pair, which signs each appliance's entitlement. Generated at
// first start and kept in the database, so that every manager of one deployment signs with the
// same key and appliances keep trusting it across restarts; appliances pin the public key at
// enrollment.
import { asc } from "drizzle-orm";
import {
  generateKeyPair,
  importPrivateKey,
  importPublicKey,
  type PrivateKey,
  type PublicKey,
} from "../../appliance/wire/mod.ts";
import type { Database } from "../db/mod.ts";
import { managerKey } from "../db/schema/fleet.ts";

export interface ManagerKey {
  id: string;
  /** SPKI PEM, as enrollment hands it to appliances. */
  publicPem: string;
  publicKey: PublicKey;
  privateKey: PrivateKey;
}

/** The stored key pair, created when there is none (two managers racing keep the oldest). */
export async function loadManagerKey(database: Database): Promise<ManagerKey> {
  const oldest = () =>
    database.db.select().from(managerKey).orderBy(asc(managerKey.createdAt), asc(managerKey.id))
      .limit(1);
  let [row] = await oldest();
  if (!row) {
    const pair = await generateKeyPair();
    await database.db.insert(managerKey).values({
      id: pair.id,
      // Without the license-key labels generateKeyPair() puts before the PEM blocks.
      publicPem: pair.publicPem.slice(pair.publicPem.indexOf("-----BEGIN")),
      privatePem: pair.privatePem.slice(pair.privatePem.indexOf("-----BEGIN")),
    }).onConflictDoNothing();
    [row] = await oldest();
  }
  const stored = row!;
  return {
    id: stored.id,
    publicPem: stored.publicPem,
    publicKey: await importPublicKey(stored.publicPem, "manager key"),
    privateKey: await importPrivateKey(stored.privatePem, "manager key"),
  };
}
