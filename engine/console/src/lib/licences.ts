/** The names of well-known licences by the URLs models give for them (the Licence tab). Pure. */
const KNOWN: Array<[RegExp, string]> = [
  [/opensource\.org\/licenses?\/MIT|mit-license/i, 'MIT License'],
  [/apache\.org\/licenses\/LICENSE-2\.0|licenses\/Apache-2\.0/i, 'Apache License 2.0'],
  [/gnu\.org\/licenses\/gpl-3\.0|licenses\/GPL-3\.0/i, 'GNU General Public License v3.0'],
  [/gnu\.org\/licenses\/lgpl-3\.0|licenses\/LGPL-3\.0/i, 'GNU Lesser General Public License v3.0'],
  [/gnu\.org\/licenses\/agpl-3\.0|licenses\/AGPL-3\.0/i, 'GNU Affero General Public License v3.0'],
  [/licenses\/BSD-3-Clause/i, 'BSD 3-Clause License'],
  [/licenses\/BSD-2-Clause/i, 'BSD 2-Clause License'],
  [/creativecommons\.org\/licenses\/by-nc/i, 'Creative Commons Attribution-NonCommercial'],
  [/creativecommons\.org\/licenses\/by-sa/i, 'Creative Commons Attribution-ShareAlike'],
  [/creativecommons\.org\/licenses\/by\//i, 'Creative Commons Attribution'],
  [/llama.*licen[cs]e|licen[cs]e.*llama/i, 'Llama Community License'],
  [/openrail/i, 'OpenRAIL License'],
];

export function licenceName(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  return KNOWN.find(([re]) => re.test(url))?.[1];
}

/** Copyleft licences: using the model inside other software may carry obligations. */
export function isCopyleft(url: string | null | undefined): boolean {
  return /General Public License|ShareAlike/.test(licenceName(url) ?? '');
}
