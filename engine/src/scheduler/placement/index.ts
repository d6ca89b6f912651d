export * from './types';
export { Ledger, reserve, unreserve, type Claim, type ReserveResult } from './ledger';
export { place, runFilters, candidatesOf, type PlaceOptions } from './place';
export { resolveNeed, describeNeed, type NeedResult } from './need';
export { select, scoreOption, type ScoredOption } from './select';
export { buildOption } from './options';
export * from './filters';
export * from './scorers';
