import { AppError } from '../../platform/http/errors.js';

/**
 * What a reaction may be: exactly one emoji as people see it (one grapheme cluster, Intl.Segmenter), and that
 * grapheme one of Unicode's recommended emoji (RGI_Emoji: single emoji, skin-tone modifier sequences, keycaps, flags,
 * tag sequences and ZWJ sequences such as 👩‍👩‍👧). Text, two emoji, a lone skin tone or regional indicator, or a
 * made-up ZWJ sequence are refused.
 */
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
// The `v` flag (Unicode sets) gives the sequence property RGI_Emoji; built at run time because the TypeScript target
// (ES2023) predates the flag. Node 20 supports it.
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
const EMOJI_CODE_POINT = /^\p{Emoji}$/u;
const MODIFIER_ONLY = /^\p{Emoji_Modifier}$/u;
const TEXT_STYLE = '\uFE0E';
const EMOJI_STYLE = '\uFE0F';

/**
 * The emoji a reaction stores: the input when it is one RGI emoji; a single emoji written in text style ("❤", or
 * "❤\uFE0E") in its emoji style ("❤️"), so both spellings are one reaction. Anything else is 422 invalid_emoji.
 */
export function normalizeEmoji(raw: string): string {
  const refuse = (why: string): never => {
    throw new AppError('invalid_emoji', `A reaction is exactly one emoji: ${why}`, { errors: [{ path: '/params/emoji', message: why }] });
  };
  if (raw.length === 0) refuse('it is empty');
  const count = [...graphemes.segment(raw)].length;
  if (count !== 1) refuse(`it has ${count} characters`);
  if (MODIFIER_ONLY.test(raw)) refuse('a skin tone alone is not an emoji');
  if (RGI_EMOJI.test(raw)) return raw;
  const bare = raw.endsWith(TEXT_STYLE) ? raw.slice(0, -1) : raw;
  if (EMOJI_CODE_POINT.test(bare) && RGI_EMOJI.test(bare + EMOJI_STYLE)) return bare + EMOJI_STYLE;
  return refuse('it is not an emoji');
}
