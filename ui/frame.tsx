// What every page's frame knows about the signed-in user: their name and role for the top bar,
// and the session's CSRF token, which htmx sends as a header and plain forms as a hidden field.
// The manager passes it to renderPage(); components read it from context.
import { createContext, type VNode } from "preact";
import { useContext } from "preact/hooks";

export interface PageFrame {
  user?: { name: string; role: string };
  /** The session's synchronizer token for state-changing requests. */
  csrfToken?: string;
  /** License module keys whose navigation section is locked (not licensed). */
  lockedModules?: readonly string[];
  /** Licensing notices, shown as a banner on every page. */
  licenseNotices?: readonly LicenseNoticeView[];
  /** Where the license administration page is, for the banner's link. */
  licensesPath?: string;
}

/** A licensing notice (DESIGN: warnings 30/7/1 days before expiry, grace, disabled). */
export interface LicenseNoticeView {
  kind: "no_license" | "expires_in_30d" | "expires_in_7d" | "expires_in_1d" | "grace" | "disabled";
  severity: "warning" | "critical";
  /** Module names as people read them ("Network monitoring"). */
  modules: string[];
  /** End of coverage, or when the modules turned off; ms since the epoch. */
  at?: number;
  /** Grace: when the modules turn off; ms since the epoch. */
  graceEndsAt?: number;
  daysLeft?: number;
}

/** The form field and the htmx header that carry the CSRF token. */
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

export const FrameContext = createContext<PageFrame | undefined>(undefined);

/** The current page frame (undefined when the page is rendered for nobody in particular). */
export function usePageFrame(): PageFrame | undefined {
  return useContext(FrameContext);
}

/** The hidden CSRF field every POST form carries; nothing when there is no session. */
export function CsrfField(): VNode | null {
  const token = usePageFrame()?.csrfToken;
  return token ? <input type="hidden" name={CSRF_FIELD} value={token} /> : null;
}

/** `vnode` rendered with `frame` as its page frame. */
export function withFrame(vnode: VNode, frame: PageFrame): VNode {
  return <FrameContext.Provider value={frame}>{vnode}</FrameContext.Provider>;
}
