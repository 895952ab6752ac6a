import type { VNode } from "preact";
import { Layout } from "../layout.tsx";

export interface ModuleLockedProps {
  moduleKey: string;
  moduleLabel: string;
  /** The page that was asked for. */
  path: string;
  /** When it was licensed once: what happened ("expired on 2026-11-25"). */
  detail?: string;
  licensesPath: string;
}

/** The 403 page of a route whose license module is not licensed. */
export function ModuleLockedPage(props: ModuleLockedProps): VNode {
  return (
    <Layout title="Module not licensed">
      <header class="page-header">
        <p class="breadcrumb">{props.moduleLabel}</p>
        <h1>{props.moduleLabel} is not licensed</h1>
      </header>
      <div class="empty-state module-locked" role="alert">
        <p class="empty-state-title">module {props.moduleKey} is not licensed</p>
        <p>
          <span class="mono">{props.path}</span> belongs to the {props.moduleLabel} module.
          {props.detail ? ` Its license ${props.detail}.` : ""}{" "}
          Its data is kept and appears again once a license for {props.moduleKey} is installed.
        </p>
        <p>
          <a href={props.licensesPath}>Go to Licenses</a>
        </p>
      </div>
    </Layout>
  );
}
