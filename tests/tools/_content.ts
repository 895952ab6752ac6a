/** HTTP messages and DNS names for the traffic generator. */
import type { HttpExchange, Random } from "./_traffic.ts";

const WORDS = (
  "packet flow capture latency network service request response server client header " +
  "window segment session protocol throughput observability dashboard metric trace tap " +
  "mirror interface vlan tunnel report manager appliance record minute query"
).split(" ");

const USER_AGENTS = [
  "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "curl/8.5.0",
  "python-requests/2.32.3",
];

function sentence(rng: Random, words: number): string {
  const picked: string[] = [];
  for (let i = 0; i < words; i++) picked.push(rng.pick(WORDS));
  const text = picked.join(" ");
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

function html(rng: Random, title: string, size: number): string {
  let body = "";
  while (body.length < size) body += `    <p>${sentence(rng, rng.int(8, 30))}</p>\n`;
  return `<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8">\n` +
    `    <title>${title}</title>\n  </head>\n  <body>\n    <h1>${title}</h1>\n${body}  </body>\n</html>\n`;
}

function script(rng: Random, size: number): string {
  let code = '"use strict";\n';
  for (let i = 0; code.length < size; i++) {
    code += `function ${rng.pick(WORDS)}${i}(a, b) {\n  return a.${rng.pick(WORDS)} + b * ${
      rng.int(1, 999)
    };\n}\n`;
  }
  return code;
}

function items(rng: Random, count: number): string {
  const list = [];
  for (let i = 0; i < count; i++) {
    list.push({
      id: rng.int(1, 99_999),
      name: sentence(rng, 3),
      price: rng.int(100, 99_999) / 100,
    });
  }
  return JSON.stringify({ items: list, page: rng.int(1, 9) });
}

const encoder = new TextEncoder();
const REASONS: Record<number, string> = {
  200: "OK",
  404: "Not Found",
  500: "Internal Server Error",
};

function request(
  method: string,
  path: string,
  host: string,
  agent: string,
  accept: string,
  body?: string,
): Uint8Array {
  let text = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${agent}\r\n` +
    `Accept: ${accept}\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n`;
  if (body !== undefined) {
    text += `Content-Type: application/json\r\nContent-Length: ${encoder.encode(body).length}\r\n`;
  }
  text += `Connection: keep-alive\r\n\r\n${body ?? ""}`;
  return encoder.encode(text);
}

function response(
  status: number,
  type: string,
  body: string,
  dateMs: number,
  close: boolean,
): Uint8Array {
  const bytes = encoder.encode(body);
  const head =
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nDate: ${new Date(dateMs).toUTCString()}\r\n` +
    `Server: nginx/1.24.0\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n` +
    `Connection: ${close ? "close" : "keep-alive"}\r\n\r\n`;
  const message = new Uint8Array(encoder.encode(head).length + bytes.length);
  message.set(encoder.encode(head));
  message.set(bytes, message.length - bytes.length);
  return message;
}

/** One request/response pair for a web (`www`) or API (`api`) server. */
export function httpExchange(
  rng: Random,
  site: "www" | "api",
  host: string,
  dateMs: number,
  close: boolean,
): HttpExchange {
  const agent = rng.pick(USER_AGENTS);
  const page = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  const json = "application/json";
  const htmlType = "text/html; charset=utf-8";
  const jsonType = "application/json";
  const roll = rng.next();
  let req: Uint8Array;
  let status = 200;
  let type = htmlType;
  let body: string;
  if (site === "www") {
    if (roll < 0.35) {
      req = request("GET", "/", host, agent, page);
      body = html(rng, "Tapline demo", rng.int(800, 5_000));
    } else if (roll < 0.6) {
      req = request("GET", `/static/app.${rng.int(1000, 9999)}.js`, host, agent, "*/*");
      type = "application/javascript";
      body = script(rng, rng.int(2_000, 12_000));
    } else if (roll < 0.8) {
      req = request("GET", "/docs/getting-started", host, agent, page);
      body = html(rng, "Getting started", rng.int(1_500, 4_000));
    } else {
      req = request("GET", "/favicon.ico", host, agent, "image/avif,image/webp,*/*");
      status = 404;
      body = html(rng, "404 Not Found", 60);
    }
  } else if (roll < 0.45) {
    req = request("GET", `/api/v1/items?page=${rng.int(1, 9)}`, host, agent, json);
    type = jsonType;
    body = items(rng, rng.int(2, 40));
  } else if (roll < 0.75) {
    const order = JSON.stringify({ item: rng.int(1, 99_999), quantity: rng.int(1, 5) });
    req = request("POST", "/api/v1/orders", host, agent, json, order);
    type = jsonType;
    status = rng.next() < 0.3 ? 500 : 200;
    body = status === 500
      ? JSON.stringify({ error: "database unavailable", requestId: rng.int(1, 1e9) })
      : JSON.stringify({ order: rng.int(1, 1e6), status: "accepted" });
  } else {
    const login = JSON.stringify({ user: `user${rng.int(1, 500)}`, password: "correct horse" });
    req = request("POST", "/api/v1/login", host, agent, json, login);
    type = jsonType;
    body = JSON.stringify({ token: rng.int(1, 1e9).toString(36), expiresIn: 3600 });
  }
  return { request: req, response: response(status, type, body, dateMs, close), status };
}

export const DNS_NAMES = [
  "www.example.com",
  "api.example.com",
  "cdn.example.net",
  "mail.example.org",
  "updates.example.net",
  "time.example.org",
  "static.example.com",
];

export const NXDOMAIN_NAMES = [
  "wpad.corp.example.com",
  "printer.lab.example.net",
  "nonexistent.example.org",
];
