import type { ComponentChildren, VNode } from "preact";

/** A labelled form field with its message below, linked for screen readers. */
export function FormField(props: {
  /** The input's id; the message gets `${id}-error`. */
  id: string;
  label: string;
  error?: string;
  hint?: string;
  wide?: boolean;
  children: ComponentChildren;
}): VNode {
  const classes = ["field", "field-block"];
  if (props.wide) classes.push("field-wide");
  if (props.error) classes.push("has-error");
  return (
    <div class={classes.join(" ")}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && !props.error && <p class="field-hint">{props.hint}</p>}
      <p id={`${props.id}-error`} class="field-error" role="alert" hidden={!props.error}>
        {props.error ?? ""}
      </p>
    </div>
  );
}

/** Attributes that tie an input to its FormField message. */
export function fieldAttrs(id: string, name: string, error: string | undefined) {
  return {
    id,
    name,
    "aria-invalid": error ? "true" as const : undefined,
    "aria-describedby": `${id}-error`,
  };
}

/** A success or information message above a form. */
export function Notice(props: { children: ComponentChildren }): VNode {
  return <div class="alert alert-info" role="status">{props.children}</div>;
}

/** A problem that concerns no single field. */
export function ErrorBox(props: { children: ComponentChildren }): VNode {
  return <div class="alert alert-error" role="alert">{props.children}</div>;
}

/** A UTC date and time to the second: `2026-11-25 12:00:05 UTC`. */
export function UtcTime(props: { ms: number | null | undefined; empty?: string }): VNode {
  if (props.ms === null || props.ms === undefined || !Number.isFinite(props.ms)) {
    return <span class="cell-muted">{props.empty ?? "—"}</span>;
  }
  const iso = new Date(props.ms).toISOString();
  return <time datetime={iso} class="nowrap">{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}
  </time>;
}
