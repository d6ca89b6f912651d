/** The scheduler: inventory, placement (filter → score → select → reserve), instances, autoscaler. Pure domain code. */
export * from './skus';
export * from './artifacts';
export * from './inventory';
export * from './placement';
export * from './instance';
export * from './knobs';
export * from './backoff';
export * from './keep-alive';
export * from './forecast';
export * from './autoscaler';
export * from './request';
export * from './fleet-plan';
