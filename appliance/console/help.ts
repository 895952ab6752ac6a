/** `appliance COMMAND --help`: one text per fleet and console command. */

const STATE =
  `  --state-dir DIR    the appliance's state folder (env TAPLINE_STATE_DIR; default data/appliance)`;
const JSON_OPTION = `  --json             one JSON object instead of the table, for scripts`;
const EXIT =
  `Exit status: 0 ok, 1 runtime error (manager unreachable, no agent running where needed),
2 bad command line, 3 not enrolled.`;

const HELP: Record<string, string> = {
  enroll: `Usage: appliance enroll --manager URL --token T [--name N] [--state-dir DIR]

Exchanges a one-time enrollment token (tple_…, made by an admin: Administration → Appliances
→ "Enroll an appliance", or "manager token enroll") for this appliance's own credential. The
identity (manager URL, appliance id, credential, the manager's public key) is written to
STATE/identity.json, readable by its owner only (0600). Enrolling again needs a new token and
makes a new appliance on the manager.

  --manager URL      the manager's base URL (env TAPLINE_MANAGER)
  --token T          the enrollment token
  --name N           display name asked for (default: host name; renameable on the manager)
${STATE}

${EXIT}`,
  run: `Usage: appliance run [--replay FILE] [--filter EXPR] [--manager URL] [--state-dir DIR]
                      [--spool-max-bytes N] [--batch-size N]

The agent. Pulls its config document from the manager every 3 s (ETag; runs from the cached
STATE/config.json when the manager is away at boot), captures on the capture points the
config enables, spools flow records per minute, sends them in order, heartbeats every
reporting.heartbeatSeconds and writes STATE/status.json for the console. SIGTERM or SIGINT
stops it cleanly: open flows are flushed to the spool, which the next run sends.

  --replay FILE      read FILE's flows instead of capturing live (demos, tests); resumable
  --filter EXPR      only packets matching the tcpdump expression
  --manager URL      override the enrolled manager URL
  --batch-size N     records per batch for --replay (live: the config's reporting.batchRecords)
  --spool-max-bytes N  bound of the spool per stream (default: the config's, else 1 GiB)
${STATE}

${EXIT}`,
  replay:
    `Usage: appliance replay FILE [--batch-size N] [--filter EXPR] [--manager URL] [--state-dir DIR]
       appliance replay --interface IF [--seconds N] [--observation-point P] [--backend B] [...]

Builds the flows of a capture file (or a live capture), spools them as CBOR batches and sends
the spool to the enrolled manager, then exits once the spool is drained. Run again after a crash
(even kill -9), the records already spooled for the same file (path, size, mtime) are skipped:
every record reaches the manager exactly once. Retries an unreachable or busy manager forever.

  --batch-size N     flow records per batch, 1-100000 (default 1000)
  --manager URL      override the enrolled manager URL
  --spool-max-bytes N  bound of the spool per stream (default 1 GiB)
${STATE}

${EXIT}`,
  status: `Usage: appliance status [--json] [--state-dir DIR]

The appliance at a glance: identity, whether the agent runs, its config version and where it
came from, the entitlement, the last heartbeat and report, the spool, CPU, memory and disk.
Read from STATE/status.json, which the agent rewrites every heartbeat.

${JSON_OPTION}
${STATE}

${EXIT} (1 here: no agent running)`,
  interfaces: `Usage: appliance interfaces [--json] [--state-dir DIR]

The network interfaces of this host (/sys/class/net): link state, MTU, MAC, receive and send
counters, and the capture point the cached config puts on each.

${JSON_OPTION}
${STATE}

${EXIT}`,
  counters: `Usage: appliance counters [--json] [--state-dir DIR]

Packets and drops per stage (capture, decode, flow, spool, report) since the agent started,
each drop with its reason and the setting to change.

${JSON_OPTION}
${STATE}

${EXIT} (1 here: no agent running; the last counters are still shown)`,
  policies: `Usage: appliance policies [--json] [--state-dir DIR]

The distribution and PCAP policies of the cached config document.

${JSON_OPTION}
${STATE}

${EXIT}`,
  pcaps: `Usage: appliance pcaps [--json] [--state-dir DIR]

The PCAP store of STATE/pcap (kept by "appliance run" per the PCAP policies of the manager):
files, sizes and time ranges per policy.

${JSON_OPTION}
${STATE}

${EXIT}`,
  spool: `Usage: appliance spool [--json] [--state-dir DIR]

The spool of batches not yet acknowledged by the manager, per stream: depth, bytes, the oldest
batch, the next seq, and batches dropped (spool full), lost (409) or rejected (kept in
STATE/spool/rejected/).

${JSON_OPTION}
${STATE}

${EXIT}`,
};

/** The help of one command, or undefined for the general usage. */
export function consoleHelp(topic: string | undefined): string | undefined {
  return topic === undefined ? undefined : HELP[topic];
}
