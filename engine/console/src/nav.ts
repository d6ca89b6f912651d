/**
 * The console's sections, in navigation order. A section is a top-level path; its pages are
 * routed in `routes.tsx`. Checks and Decide (the model check and the cost comparison of
 * `/v1/checks` and `/v1/decide`) come after Cluster: they are the last steps with a model.
 */
export interface Section {
  path: string;
  label: string;
}

export const SECTIONS: Section[] = [
  { path: '/models', label: 'Models' },
  { path: '/predictions', label: 'Predictions' },
  { path: '/deployments', label: 'Deployments' },
  { path: '/usage', label: 'Usage' },
  { path: '/cluster', label: 'Cluster' },
  { path: '/checks', label: 'Checks' },
  { path: '/decide', label: 'Decide' },
  { path: '/tokens', label: 'Tokens' },
];

/** The section a path belongs to (for aria-current in the navigation). */
export function sectionOf(path: string): Section | undefined {
  return SECTIONS.find((s) => path === s.path || path.startsWith(`${s.path}/`));
}
