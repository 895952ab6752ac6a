import type { ComponentChildren, VNode } from "preact";

/** A boxed message where results would be, saying why there are none and what to try. */
export function EmptyState(props: { title: string; children?: ComponentChildren }): VNode {
  return (
    <div class="empty-state" role="status">
      <svg class="empty-state-icon" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
        <circle cx="11" cy="11" r="6.5" />
        <path d="M16 16l4.5 4.5M8.5 11h5" />
      </svg>
      <p class="empty-state-title">{props.title}</p>
      {props.children}
    </div>
  );
}
