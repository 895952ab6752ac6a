import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  InventoryPage,
  type InventoryPageProps,
  renderFragment,
  renderPage,
  RetagStatus,
  type RetagView,
} from "../../ui/mod.ts";
import { actorOf, userOf } from "../auth/mod.ts";
import {
  exportCsv,
  exportJson,
  FIELDS,
  fieldText,
  type ImportItem,
  InventoryError,
  type InventoryService,
  type Kind,
  KIND_LABELS,
  KINDS,
  parseCsvImport,
  parseJsonImport,
  PLURAL,
  problemText,
  type Retagger,
  type RetagProgress,
} from "../inventory/mod.ts";
import { HttpError } from "./errors.ts";
import { formOf, idParam, jsonOf } from "./_input.ts";
import { pageFrame } from "./page_frame.ts";

const BASE = "/admin/inventory";
const MAX_IMPORT_BYTES = 8 * 1024 * 1024;
const MAX_RETAG_HOURS = 24 * 31;

const NOTICES: Record<string, string> = {
  created: "Added. New flow logs are tagged with it from now on.",
  updated: "Saved. New flow logs are tagged with the change from now on.",
  deleted: "Deleted.",
  retag: "Re-tagging started.",
};

function kindOfPlural(plural: string): Kind {
  const kind = KINDS.find((k) => PLURAL[k] === plural);
  if (!kind) throw new HttpError(404, `no inventory kind "${plural.slice(0, 40)}"`);
  return kind;
}

function statusOf(err: InventoryError): 400 | 404 | 409 {
  return err.kind === "not_found" ? 404 : err.kind === "conflict" ? 409 : 400;
}

function failed(err: unknown): never {
  if (err instanceof InventoryError) {
    throw new HttpError(statusOf(err), err.message);
  }
  throw err;
}

function retagView(p: RetagProgress | undefined): RetagView | undefined {
  return p && {
    state: p.state,
    hours: p.hours,
    slicesDone: p.slicesDone,
    slicesTotal: p.slicesTotal,
    rowsUpdated: p.rowsUpdated,
    requestRowsUpdated: p.requestRowsUpdated,
    ...(p.error === undefined ? {} : { error: p.error }),
  };
}

function importItems(text: string, format: string, kind: string | undefined): ImportItem[] {
  const k = kind ? KINDS.find((x) => x === kind || PLURAL[x] === kind) : undefined;
  if (format === "json") return parseJsonImport(text);
  if (format === "csv") return parseCsvImport(text, k);
  throw new HttpError(400, "format must be csv or json");
}

/** `/admin/inventory` (pages, forms, import/export, re-tag) and `/api/v1/inventory` (JSON). */
export function inventoryRoutes(
  inventory: InventoryService,
  retagger: Retagger,
): { page: Hono; api: Hono } {
  const page = new Hono();
  // Re-tagging rewrites stored rows: who asked is recorded like any change.
  const startRetag = async (c: Context, hours: number) => {
    const job = retagger.start({ hours });
    await inventory.options.audit(actorOf(c)!, {
      action: "inventory.retag",
      target: { type: "flow_log" },
      after: { hours, job: job.id },
    });
    return job;
  };
  const render = async (
    c: Context,
    kind: Kind,
    status: 200 | 400 | 404 | 409,
    extra: Partial<InventoryPageProps> = {},
  ) => {
    const dump = await inventory.dump();
    const tagger = await inventory.tagger();
    const fields = FIELDS[kind];
    const props: InventoryPageProps = {
      basePath: BASE,
      kind: PLURAL[kind],
      kindLabel: KIND_LABELS[kind],
      kinds: KINDS.map((k) => ({
        key: PLURAL[k],
        label: KIND_LABELS[k],
        count: dump[k].length,
      })),
      fields: fields.map((f) => ({
        key: f.key,
        label: f.label,
        hint: f.hint,
        required: !!f.required,
        options: f.ref ? dump[f.ref].map((i) => i.name) : undefined,
      })),
      items: dump[kind].map((item) => ({
        id: item.id!,
        cells: Object.fromEntries(fields.map((f) => [f.key, fieldText(f, item[f.key])])),
      })),
      form: {},
      errors: {},
      canWrite: userOf(c)?.role === "admin",
      tagged: tagger.size,
      retag: retagView(retagger.progress()),
      ...extra,
    };
    c.header("Cache-Control", "no-store");
    return c.html(renderPage(InventoryPage(props), pageFrame(c)), status);
  };
  const notice = (c: Context) => NOTICES[c.req.query("notice") ?? ""];

  page.get("/", (c) => render(c, "subnet", 200, { notice: notice(c) }));

  page.get("/export", async (c) => {
    const format = c.req.query("format") ?? "json";
    const dump = await inventory.dump();
    if (format === "csv") {
      c.header("content-disposition", 'attachment; filename="tapline-inventory.csv"');
      return c.body(exportCsv(dump), 200, { "content-type": "text/csv; charset=utf-8" });
    }
    c.header("content-disposition", 'attachment; filename="tapline-inventory.json"');
    return c.json(exportJson(dump));
  });

  page.get("/retag", (c) => {
    c.header("Cache-Control", "no-store");
    return c.html(
      renderFragment(RetagStatus({ basePath: BASE, retag: retagView(retagger.progress()) })),
    );
  });

  page.post("/retag", async (c) => {
    const form = await formOf(c);
    const hours = Number(form.hours ?? "");
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_RETAG_HOURS) {
      return render(c, "subnet", 400, {
        problem: `hours must be a whole number 1–${MAX_RETAG_HOURS}`,
      });
    }
    await startRetag(c, hours);
    return c.redirect(`${BASE}?notice=retag`, 303);
  });

  page.post(
    "/import",
    bodyLimit({
      maxSize: MAX_IMPORT_BYTES,
      onError: () => {
        throw new HttpError(413, `import files are limited to ${MAX_IMPORT_BYTES} bytes`);
      },
    }),
    async (c) => {
      const form = await c.req.parseBody();
      const file = form["file"];
      let text = typeof form["text"] === "string" ? form["text"] : "";
      let format = typeof form["format"] === "string" ? form["format"] : "";
      if (file instanceof File && file.size > 0) {
        text = await file.text();
        if (!format || format === "auto") format = /\.json$/i.test(file.name) ? "json" : "csv";
      }
      if (!format || format === "auto") format = text.trimStart().match(/^[[{]/) ? "json" : "csv";
      const replace = form["replace"] === "on" || form["replace"] === "true";
      try {
        if (text.trim() === "") {
          throw new InventoryError("invalid", [{ message: "choose a file or paste its text" }]);
        }
        const items = importItems(text, format, undefined);
        const r = await inventory.import(actorOf(c)!, items, { replace, source: format });
        return render(c, "subnet", 200, {
          notice: `Imported: ${r.created} added, ${r.updated} updated, ${r.deleted} deleted.`,
        });
      } catch (err) {
        if (!(err instanceof InventoryError)) throw err;
        return render(c, "subnet", 400, {
          importProblems: err.problems.slice(0, 100).map(problemText),
          importText: text.length <= 64 * 1024 ? text : "",
        });
      }
    },
  );

  page.get("/:kind", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    const edit = c.req.query("edit");
    if (edit !== undefined) {
      const id = /^\d{1,9}$/.test(edit) ? Number(edit) : 0;
      const item = await inventory.get(kind, id);
      if (!item) return render(c, kind, 404, { problem: `No ${kind} with id ${edit}.` });
      const form = Object.fromEntries(FIELDS[kind].map((f) => [f.key, fieldText(f, item[f.key])]));
      return render(c, kind, 200, { form, editingId: id });
    }
    return render(c, kind, 200, { notice: notice(c) });
  });

  page.post("/:kind", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    const form = await formOf(c);
    delete form._csrf;
    try {
      await inventory.create(actorOf(c)!, kind, form);
    } catch (err) {
      if (!(err instanceof InventoryError)) throw err;
      return formProblem(c, kind, err, form, undefined);
    }
    return c.redirect(`${BASE}/${PLURAL[kind]}?notice=created`, 303);
  });

  page.post("/:kind/:id", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    const id = idParam(c);
    const form = await formOf(c);
    delete form._csrf;
    try {
      await inventory.update(actorOf(c)!, kind, id, form);
    } catch (err) {
      if (!(err instanceof InventoryError)) throw err;
      return formProblem(c, kind, err, form, id);
    }
    return c.redirect(`${BASE}/${PLURAL[kind]}?notice=updated`, 303);
  });

  page.post("/:kind/:id/delete", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    try {
      await inventory.delete(actorOf(c)!, kind, idParam(c));
    } catch (err) {
      if (!(err instanceof InventoryError)) throw err;
      return render(c, kind, statusOf(err), { problem: err.message });
    }
    return c.redirect(`${BASE}/${PLURAL[kind]}?notice=deleted`, 303);
  });

  const formProblem = (
    c: Context,
    kind: Kind,
    err: InventoryError,
    form: Record<string, string>,
    editingId: number | undefined,
  ) => {
    const errors: Record<string, string> = {};
    const general: string[] = [];
    for (const p of err.problems) {
      if (p.field && p.kind === kind && !errors[p.field]) errors[p.field] = p.message;
      else general.push(problemText(p));
    }
    return render(c, kind, statusOf(err), {
      form,
      errors,
      editingId,
      problem: general.length > 0 ? general.join("; ") : undefined,
    });
  };

  const api = new Hono();
  api.get("/", async (c) => c.json(exportJson(await inventory.dump())));
  api.get("/export", async (c) => {
    const dump = await inventory.dump();
    if (c.req.query("format") === "csv") {
      return c.body(exportCsv(dump), 200, { "content-type": "text/csv; charset=utf-8" });
    }
    return c.json(exportJson(dump));
  });
  api.get("/tag", async (c) => {
    const ip = c.req.query("ip") ?? "";
    const port = Number(c.req.query("port") ?? 0);
    const protocol = Number(c.req.query("protocol") ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new HttpError(400, "bad port");
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
      throw new HttpError(400, "bad protocol");
    }
    return c.json((await inventory.tagger()).tag(ip, port, protocol));
  });
  api.get("/retag", (c) => c.json({ job: retagger.progress() ?? null }));
  api.post("/retag", async (c) => {
    const body = await jsonOf(c);
    const hours = body.hours;
    if (
      typeof hours !== "number" || !Number.isInteger(hours) || hours < 1 || hours > MAX_RETAG_HOURS
    ) {
      throw new HttpError(400, `hours must be a whole number 1–${MAX_RETAG_HOURS}`);
    }
    return c.json({ job: await startRetag(c, hours) }, 202);
  });
  api.post(
    "/import",
    bodyLimit({
      maxSize: MAX_IMPORT_BYTES,
      onError: () => {
        throw new HttpError(413, `import bodies are limited to ${MAX_IMPORT_BYTES} bytes`);
      },
    }),
    async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const format = c.req.query("format") ??
        (type === "application/json" ? "json" : type === "text/csv" ? "csv" : "");
      const text = await c.req.text();
      try {
        const items = importItems(text, format, c.req.query("kind"));
        const replace = c.req.query("replace") === "true";
        return c.json(await inventory.import(actorOf(c)!, items, { replace, source: format }));
      } catch (err) {
        if (err instanceof InventoryError) {
          return c.json({ error: "nothing was imported", problems: err.problems }, statusOf(err));
        }
        throw err;
      }
    },
  );
  api.get("/:kind", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    return c.json({ [PLURAL[kind]]: await inventory.list(kind) });
  });
  api.post("/:kind", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    const item = await inventory.create(actorOf(c)!, kind, await jsonOf(c)).catch(failed);
    return c.json(item, 201);
  });
  api.get("/:kind/:id", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    const item = await inventory.get(kind, idParam(c));
    if (!item) throw new HttpError(404, `no ${kind} with id ${c.req.param("id")}`);
    return c.json(item);
  });
  api.put("/:kind/:id", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    const item = await inventory.update(actorOf(c)!, kind, idParam(c), await jsonOf(c)).catch(
      failed,
    );
    return c.json(item);
  });
  api.delete("/:kind/:id", async (c) => {
    const kind = kindOfPlural(c.req.param("kind"));
    await inventory.delete(actorOf(c)!, kind, idParam(c)).catch(failed);
    return c.body(null, 204);
  });
  return { page, api };
}
