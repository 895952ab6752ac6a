/**
 * The local index of stored packets, in node:sqlite: files, their interfaces, and one row per
 * flow per file (5-tuple, time range, packet and byte counts, and the file offsets of its packets
 * as a little-endian u32 array). Only offsets are indexed: the packets stay in the pcapng files.
 */
import { DatabaseSync } from "node:sqlite";

export interface FileRow {
  id: number;
  policy: string;
  path: string;
  firstUs: number;
  lastUs: number;
  packets: number;
  bytes: number;
  closed: boolean;
}

export interface InterfaceRow {
  index: number;
  name: string;
  linkType: number;
  snapLength: number;
}

/** One flow's packets in one file; (ipA, portA) is the end whose address bytes sort first. */
export interface FlowRow {
  fileId: number;
  protocol: number;
  ipA: string;
  portA: number;
  ipB: string;
  portB: number;
  firstUs: number;
  lastUs: number;
  packets: number;
  bytes: number;
  offsets: Uint32Array;
}

/** What to look for; every given field must hold. Times in µs since the epoch. */
export interface PacketQuery {
  sinceUs?: number;
  untilUs?: number;
  /** Either end of the flow. */
  host?: string;
  /** Either end's port. */
  port?: number;
  protocol?: number;
  /** Both ends: the flow between these two endpoints (in either direction). */
  flow?: { protocol: number; ip0: string; port0: number; ip1: string; port1: number };
  policy?: string;
}

const SCHEMA = `
create table if not exists files (
  id integer primary key, policy text not null, path text not null unique,
  first_us integer not null, last_us integer not null, packets integer not null,
  bytes integer not null, closed integer not null);
create table if not exists interfaces (
  file_id integer not null, if_index integer not null, name text not null,
  link_type integer not null, snap_length integer not null, primary key (file_id, if_index));
create table if not exists flows (
  file_id integer not null, protocol integer not null, ip_a text not null, port_a integer not null,
  ip_b text not null, port_b integer not null, first_us integer not null, last_us integer not null,
  packets integer not null, bytes integer not null, offsets blob not null);
create index if not exists flows_by_a on flows (ip_a, last_us);
create index if not exists flows_by_b on flows (ip_b, last_us);
create index if not exists flows_by_time on flows (last_us);
create index if not exists flows_by_file on flows (file_id);
`;

function fileRow(r: Record<string, unknown>): FileRow {
  return {
    id: Number(r.id),
    policy: String(r.policy),
    path: String(r.path),
    firstUs: Number(r.first_us),
    lastUs: Number(r.last_us),
    packets: Number(r.packets),
    bytes: Number(r.bytes),
    closed: Number(r.closed) === 1,
  };
}

export class PcapIndex {
  readonly #db: DatabaseSync;

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec("pragma journal_mode = wal; pragma synchronous = normal;");
    this.#db.exec(SCHEMA);
  }

  close(): void {
    this.#db.close();
  }

  /** Reserves a file id for a file about to be written (`closed` false until {@link closeFile}). */
  openFile(policy: string, path: string, firstUs: number): number {
    const result = this.#db.prepare(
      "insert into files (policy, path, first_us, last_us, packets, bytes, closed) values (?, ?, ?, ?, 0, 0, 0)",
    ).run(policy, path, firstUs, firstUs);
    return Number(result.lastInsertRowid);
  }

  setPath(id: number, path: string): void {
    this.#db.prepare("update files set path = ? where id = ?").run(path, id);
  }

  /** Records a finished file with its interfaces and flows, in one transaction. */
  closeFile(
    file: Omit<FileRow, "closed" | "policy">,
    interfaces: readonly InterfaceRow[],
    flows: Iterable<Omit<FlowRow, "fileId">>,
  ): void {
    const db = this.#db;
    db.exec("begin");
    try {
      db.prepare(
        "update files set path = ?, first_us = ?, last_us = ?, packets = ?, bytes = ?, closed = 1 where id = ?",
      ).run(file.path, file.firstUs, file.lastUs, file.packets, file.bytes, file.id);
      db.prepare("delete from interfaces where file_id = ?").run(file.id);
      db.prepare("delete from flows where file_id = ?").run(file.id);
      const addInterface = db.prepare(
        "insert into interfaces (file_id, if_index, name, link_type, snap_length) values (?, ?, ?, ?, ?)",
      );
      interfaces.forEach((it) =>
        addInterface.run(file.id, it.index, it.name, it.linkType, it.snapLength)
      );
      const addFlow = db.prepare(
        "insert into flows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const f of flows) {
        addFlow.run(
          file.id,
          f.protocol,
          f.ipA,
          f.portA,
          f.ipB,
          f.portB,
          f.firstUs,
          f.lastUs,
          f.packets,
          f.bytes,
          new Uint8Array(f.offsets.buffer, f.offsets.byteOffset, f.offsets.byteLength),
        );
      }
      db.exec("commit");
    } catch (err) {
      db.exec("rollback");
      throw err;
    }
  }

  /** Forgets a file (its flows and interfaces too). */
  removeFile(id: number): void {
    this.#db.prepare("delete from flows where file_id = ?").run(id);
    this.#db.prepare("delete from interfaces where file_id = ?").run(id);
    this.#db.prepare("delete from files where id = ?").run(id);
  }

  files(policy?: string): FileRow[] {
    const rows = policy === undefined
      ? this.#db.prepare("select * from files order by first_us, id").all()
      : this.#db.prepare("select * from files where policy = ? order by first_us, id").all(policy);
    return rows.map((r) => fileRow(r as Record<string, unknown>));
  }

  fileByPath(path: string): FileRow | undefined {
    const row = this.#db.prepare("select * from files where path = ?").get(path);
    return row === undefined ? undefined : fileRow(row as Record<string, unknown>);
  }

  interfaces(fileId: number): InterfaceRow[] {
    return this.#db.prepare(
      "select if_index, name, link_type, snap_length from interfaces where file_id = ? order by if_index",
    ).all(fileId).map((r) => ({
      index: Number(r.if_index),
      name: String(r.name),
      linkType: Number(r.link_type),
      snapLength: Number(r.snap_length),
    }));
  }

  /** The flow rows matching `query`, oldest first. */
  flows(query: PacketQuery): FlowRow[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.sinceUs !== undefined) where.push("f.last_us >= ?"), args.push(query.sinceUs);
    if (query.untilUs !== undefined) where.push("f.first_us <= ?"), args.push(query.untilUs);
    if (query.flow !== undefined) {
      // Rows order their endpoints by address bytes: look for both orders.
      const f = query.flow;
      where.push(
        "f.protocol = ? and ((f.ip_a = ? and f.port_a = ? and f.ip_b = ? and f.port_b = ?) or (f.ip_a = ? and f.port_a = ? and f.ip_b = ? and f.port_b = ?))",
      );
      args.push(f.protocol, f.ip0, f.port0, f.ip1, f.port1, f.ip1, f.port1, f.ip0, f.port0);
    }
    if (query.host !== undefined) {
      where.push(
        "f.rowid in (select rowid from flows where ip_a = ? union select rowid from flows where ip_b = ?)",
      );
      args.push(query.host, query.host);
    }
    if (query.port !== undefined) {
      where.push("(f.port_a = ? or f.port_b = ?)"), args.push(query.port, query.port);
    }
    if (query.protocol !== undefined) where.push("f.protocol = ?"), args.push(query.protocol);
    if (query.policy !== undefined) where.push("files.policy = ?"), args.push(query.policy);
    const sql = `select f.* from flows f join files on files.id = f.file_id${
      where.length > 0 ? ` where ${where.join(" and ")}` : ""
    } order by f.first_us, f.file_id`;
    return this.#db.prepare(sql).all(...args).map((r) => {
      const blob = r.offsets as Uint8Array;
      const copy = new Uint8Array(blob.byteLength);
      copy.set(blob);
      return {
        fileId: Number(r.file_id),
        protocol: Number(r.protocol),
        ipA: String(r.ip_a),
        portA: Number(r.port_a),
        ipB: String(r.ip_b),
        portB: Number(r.port_b),
        firstUs: Number(r.first_us),
        lastUs: Number(r.last_us),
        packets: Number(r.packets),
        bytes: Number(r.bytes),
        offsets: new Uint32Array(copy.buffer),
      };
    });
  }
}
