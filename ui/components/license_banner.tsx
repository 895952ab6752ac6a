import type { VNode } from "preact";
import type { LicenseNoticeView } from "../frame.tsx";

function day(ms: number | undefined): string {
  return ms === undefined ? "" : new Date(ms).toISOString().slice(0, 10);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function list(modules: readonly string[]): string {
  if (modules.length > 3) return `${modules.length} modules`;
  return modules.join(", ");
}

/** The sentence for one notice: what happens, to which modules, when. */
export function noticeText(n: LicenseNoticeView): string {
  const what = list(n.modules);
  switch (n.kind) {
    case "no_license":
      return "No license is installed: every module is locked. Install a license to use Tapline.";
    case "expires_in_30d":
    case "expires_in_7d":
    case "expires_in_1d": {
      const left = n.daysLeft === undefined || n.daysLeft > 1
        ? `in ${plural(n.daysLeft ?? 0, "day")}`
        : "within a day";
      return `License expires ${left} (${day(n.at)} UTC) for ${what}. Install a renewed license.`;
    }
    case "grace":
      return `License expired on ${day(n.at)} for ${what}: ${
        n.modules.length === 1 ? "it stays" : "they stay"
      } enabled during the grace period until ${day(n.graceEndsAt)}, then turn off.`;
    case "disabled":
      return `${what}: license expired, turned off on ${
        day(n.at)
      }. The data is kept and comes back when a valid license is installed.`;
  }
}

/** Licensing notices above every page's content, with a link to the license page. */
export function LicenseBanner(
  props: { notices: readonly LicenseNoticeView[]; licensesPath?: string },
): VNode | null {
  if (props.notices.length === 0) return null;
  return (
    <div class="license-banners">
      {props.notices.map((n) => (
        <div
          key={`${n.kind}-${n.at ?? 0}`}
          class={`license-banner is-${n.severity}`}
          role={n.severity === "critical" ? "alert" : "status"}
          data-notice={n.kind}
        >
          <span class="license-banner-text">{noticeText(n)}</span>
          {props.licensesPath && (
            <a class="license-banner-link" href={props.licensesPath}>Manage licenses</a>
          )}
        </div>
      ))}
    </div>
  );
}
