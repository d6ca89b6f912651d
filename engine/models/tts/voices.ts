/**
 * The voices gantry/tts accepts: every voice name and language code of the eSpeak-NG build in
 * `@echogarden/espeak-ng-emscripten` 0.3.5, lower-cased, as its `list_voices()` reports them
 * (voice file names such as "en-gb-x-rp", and language codes such as "en-gb" or "zh").
 *
 * The list is fixed here, not read from eSpeak-NG at run time, because the engine turns the
 * predictor's input definition into the version's schema synchronously, before any WebAssembly is
 * loaded; an enum lets the API answer an unknown voice with a 422 naming `/input/voice`.
 * test/engine/models/tts.test.ts checks that this list equals what eSpeak-NG selects
 * (`selectableVoices()` in espeak.ts). The one name left out, "chr-US-Qaaa-x-west", is listed by
 * eSpeak-NG but cannot be selected by it; its voice is reachable as "chr".
 */
export const VOICES = [
  'af', 'am', 'an', 'ar', 'as', 'az', 'ba', 'be', 'bg', 'bn', 'bpy', 'bs', 'ca', 'ca-ba', 'ca-nw',
  'ca-va', 'chr', 'cmn', 'cmn-latn-pinyin', 'cs', 'cv', 'cy', 'da', 'de', 'el', 'en', 'en-029',
  'en-gb', 'en-gb-scotland', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-gb-x-rp', 'en-us',
  'en-us-nyc', 'eo', 'es', 'es-419', 'es-mx', 'et', 'eu', 'fa', 'fa-latn', 'fi', 'fo', 'fr',
  'fr-be', 'fr-ch', 'fr-fr', 'ga', 'gd', 'gn', 'grc', 'gu', 'hak', 'haw', 'hbs', 'he', 'hi', 'hr',
  'ht', 'hu', 'hy', 'hy-arevela', 'hy-arevmda', 'hyw', 'ia', 'id', 'io', 'is', 'it', 'ja', 'jbo',
  'ka', 'kaa', 'kk', 'kl', 'kn', 'ko', 'kok', 'ku', 'ky', 'la', 'lb', 'lfn', 'lt', 'ltg', 'lv',
  'mi', 'mk', 'ml', 'mr', 'ms', 'mt', 'mto', 'my', 'nb', 'nci', 'ne', 'nl', 'no', 'nog', 'om',
  'or', 'pa', 'pap', 'piqd', 'pl', 'pt', 'pt-br', 'pt-pt', 'py', 'qdb', 'qu', 'quc', 'qya', 'ro',
  'ru', 'ru-cl', 'ru-lv', 'sd', 'shn', 'si', 'sjn', 'sk', 'sl', 'smj', 'sq', 'sr', 'sv', 'sw',
  'ta', 'te', 'th', 'ti', 'tk', 'tn', 'tr', 'tt', 'ug', 'uk', 'ur', 'uz', 'vi', 'vi-vn-x-central',
  'vi-vn-x-south', 'xex', 'yue', 'yue-latn-jyutping', 'zh', 'zh-cmn', 'zh-yue',
] as const;

export type Voice = (typeof VOICES)[number];
