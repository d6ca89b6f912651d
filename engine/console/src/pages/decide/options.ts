/** The four options of the cost decision, in the order the API lists them, with their names. */
import type { OptionKey } from '../../api/types';

export const OPTION_KEYS: OptionKey[] = ['gantry', 'replicate_public', 'replicate_private', 'dedicated'];

export const OPTION_LABEL: Record<OptionKey, string> = {
  gantry: 'Gantry (here)',
  replicate_public: 'Replicate, public',
  replicate_private: 'Replicate, private',
  dedicated: 'Dedicated GPUs',
};

/** A group's name: the model or deployment, or the on-demand runs when grouping by deployment. */
export const groupName = (key: string | null) => key ?? 'on-demand runs';
