import type { VNode } from "preact";
import { formatBytes } from "../format.ts";
import { CsrfField } from "../frame.tsx";
import { fieldAttrs, FormField } from "./forms.tsx";

/** An appliance's global PCAP disk quota (issue #7); null fields: no such bound. */
export interface PcapStorageView {
  quotaBytes: number | null;
  quotaPercent: number | null;
}

/** What the quota says, in words. */
export function quotaText(s: PcapStorageView): string {
  const parts = [
    s.quotaBytes === null ? "" : formatBytes(s.quotaBytes),
    s.quotaPercent === null ? "" : `${s.quotaPercent}% of the disk`,
  ].filter((p) => p !== "");
  return parts.length === 0 ? "none" : parts.join(" and at most ");
}

/**
 * The appliance settings' PCAP storage panel: the global quota of all its PCAP policies, and (for
 * operators and admins) the form that sets it; the form posts to `/pcap/storage/:id`.
 */
export function PcapStoragePanel(
  props: { applianceId: string; storage: PcapStorageView; editable: boolean },
): VNode {
  const { storage: s, applianceId: id } = props;
  return (
    <section class="panel" aria-labelledby="pcap-storage-title">
      <header class="panel-header">
        <h2 id="pcap-storage-title">PCAP storage</h2>
        <span class="panel-meta">
          disk quota of all <a href="/pcap/policies">PCAP policies</a>: {quotaText(s)}
        </span>
      </header>
      {props.editable && (
        <form method="post" action={`/pcap/storage/${id}`} class="panel-body inline-fields">
          <CsrfField />
          <input type="hidden" name="next" value={`/admin/appliances/${id}`} />
          <FormField id="pcap-quota-gb" label="Quota (GB)">
            <input
              {...fieldAttrs("pcap-quota-gb", "quotaGB", undefined)}
              value={s.quotaBytes === null ? "" : String(s.quotaBytes / 1e9)}
              size={8}
            />
          </FormField>
          <FormField id="pcap-quota-percent" label="Quota (% of disk)">
            <input
              {...fieldAttrs("pcap-quota-percent", "quotaPercent", undefined)}
              value={s.quotaPercent === null ? "" : String(s.quotaPercent)}
              size={4}
            />
          </FormField>
          <button type="submit" class="btn">Save PCAP quota</button>
        </form>
      )}
    </section>
  );
}
