/** The parsers, in the order they are tried (after those whose port the flow uses). */
import { dns } from "./dns.ts";
import { http1 } from "./http1.ts";
import { http2 } from "./http2.ts";
import { kafka } from "./kafka.ts";
import { mongo } from "./mongo.ts";
import { mysql } from "./mysql.ts";
import type { L7Parser } from "./parser.ts";
import { postgres } from "./postgres.ts";
import { redis } from "./redis.ts";
import { tls } from "./tls.ts";

export { dns, http1, http2, kafka, mongo, mysql, postgres, redis, tls };

export const PARSERS: readonly L7Parser[] = [
  http1,
  http2,
  dns,
  postgres,
  mysql,
  redis,
  tls,
  kafka,
  mongo,
];
