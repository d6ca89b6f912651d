/**
 * A labelled form row: the label, the control, a hint, and the error the API gave for this field
 * (linked to the control with aria-describedby, so screen readers read it with the field).
 */
import type { ComponentChildren } from 'preact';

interface Props {
  id: string;
  label: ComponentChildren;
  required?: boolean;
  hint?: ComponentChildren;
  error?: string;
  /** The label wraps a checkbox instead of standing above the control. */
  inline?: boolean;
  children: ComponentChildren;
}

export const hintId = (id: string) => `${id}-hint`;
export const errorId = (id: string) => `${id}-error`;

/** The aria attributes a control inside a Field should carry. */
export function describedBy(id: string, hasHint: boolean, error: string | undefined) {
  const ids = [hasHint ? hintId(id) : '', error ? errorId(id) : ''].filter(Boolean).join(' ');
  return { 'aria-describedby': ids || undefined, 'aria-invalid': error ? true : undefined };
}

export function Field({ id, label, required, hint, error, inline, children }: Props) {
  return (
    <div class={`field${error ? ' has-error' : ''}${inline ? ' inline' : ''}`} data-field={id}>
      {inline ? (
        <label for={id}>
          {children}
          <span class="label-text">{label}</span>
          {required && <span class="req" aria-hidden="true"> *</span>}
        </label>
      ) : (
        <>
          <label for={id}>
            <span class="label-text">{label}</span>
            {required && <span class="req"> (required)</span>}
          </label>
          {children}
        </>
      )}
      {hint && (
        <p class="hint" id={hintId(id)}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId(id)} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
