/**
 * Reads a licence URL (or name) well enough to say whether commercial use is clearly allowed.
 * Anything not recognised is "unknown": the check warns rather than guess.
 */

export type CommercialUse = 'yes' | 'no' | 'conditional' | 'unknown';

export interface LicenceReading {
  name: string | null;
  commercial_use: CommercialUse;
  note: string;
}

interface Rule {
  test: RegExp;
  name: string;
  use: CommercialUse;
  note: string;
}

// Order matters: the non-commercial variants of a family come before the family.
const RULES: Rule[] = [
  { test: /\bcc[-_ ]?by[-_ ]?nc|by-nc|non[-_ ]?commercial/i, name: 'Creative Commons NonCommercial', use: 'no', note: 'non-commercial use only' },
  { test: /flux[-_.]?1[-_.]?dev|flux-dev/i, name: 'FLUX.1 [dev] Non-Commercial License', use: 'no', note: 'non-commercial use only' },
  { test: /research[-_ ]?(only|license)/i, name: 'research licence', use: 'no', note: 'research use only' },
  { test: /llama|meta-llama/i, name: 'Llama Community License', use: 'conditional', note: 'commercial use with conditions (user thresholds, acceptable-use policy)' },
  { test: /creativeml|stable-diffusion-license/i, name: 'CreativeML OpenRAIL-M', use: 'conditional', note: 'commercial use allowed with use restrictions' },
  { test: /gemma/i, name: 'Gemma Terms of Use', use: 'conditional', note: 'commercial use with a prohibited-use policy' },
  { test: /hunyuan/i, name: 'Tencent Hunyuan Community License', use: 'conditional', note: 'commercial use with territory and user-count limits' },
  { test: /openrail|rail-m|bigscience/i, name: 'OpenRAIL', use: 'conditional', note: 'commercial use allowed with use restrictions' },
  { test: /stability|sai-community/i, name: 'Stability AI Community License', use: 'conditional', note: 'commercial use under a revenue threshold' },
  { test: /\bagpl/i, name: 'AGPL', use: 'yes', note: 'copyleft: network use obliges sharing the source' },
  { test: /\blgpl/i, name: 'LGPL', use: 'yes', note: 'weak copyleft' },
  { test: /\bgpl|gnu\.org\/licenses\/gpl/i, name: 'GPL', use: 'yes', note: 'copyleft: distributing it obliges sharing the source' },
  { test: /apache/i, name: 'Apache-2.0', use: 'yes', note: 'permissive' },
  { test: /\bmit\b|licenses\/mit/i, name: 'MIT', use: 'yes', note: 'permissive' },
  { test: /\bbsd/i, name: 'BSD', use: 'yes', note: 'permissive' },
  { test: /\bisc\b/i, name: 'ISC', use: 'yes', note: 'permissive' },
  { test: /\bmpl|mozilla/i, name: 'MPL-2.0', use: 'yes', note: 'file-level copyleft' },
  { test: /cc0|publicdomain|unlicense/i, name: 'public domain', use: 'yes', note: 'no conditions' },
  { test: /\bcc[-_ ]?by\b|creativecommons\.org\/licenses\/by\//i, name: 'Creative Commons Attribution', use: 'yes', note: 'attribution required' },
];

export function readLicence(url: string | null | undefined): LicenceReading {
  if (!url || !url.trim()) return { name: null, commercial_use: 'unknown', note: 'no licence is given' };
  const rule = RULES.find((r) => r.test.test(url));
  if (!rule) return { name: null, commercial_use: 'unknown', note: 'the licence is not one this check recognises; read it' };
  return { name: rule.name, commercial_use: rule.use, note: rule.note };
}
