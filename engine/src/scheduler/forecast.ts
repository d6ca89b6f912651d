/**
 * Forecast prewarm: start an instance of a version with none live shortly before a likely
 * arrival, when the cold start it is expected to save is worth more than the GPU time it idles,
 * and let it go once the likely window has passed (plan() keeps an instance that has served
 * nothing past its keep-alive only while decideKeepPrewarmed still pays). Pure; the state is
 * plain data kept per version.
 *
 * Two views of when the next arrival comes:
 * - the idle-time histogram ("Serverless in the Wild", ATC '20): the version's arrival-gap
 *   histogram (keep-alive.ts), read as P(next arrival in (a, b] | none for the idle time so far).
 *   Timer-like versions (a cron job every N minutes) put their mass in one narrow band.
 * - daily periodicity: decayed arrivals per 5-minute slot of the day, divided by the decayed days
 *   observed, is the expected number of arrivals in a slot on a day like the past ones.
 * The likelier of the two is taken: either alone is a sound estimate of its own pattern, and a
 * version has at most one that is sharp.
 *
 * The price is keep-alive.ts's: a cold start costs the boot's GPU time plus, for every
 * prediction it catches, the weighted wait and the flat penalty. Starting now for a window of
 * `hold` ms after the boot, with p the chance that the next arrival falls in [now, now + boot +
 * hold]:
 *
 *   gain = p × coldBootCost              (the cold start it avoids, boot included; an arrival
 *                                         during the boot saves less, see best())
 *   cost = boot + E[idle until the arrival, or the whole hold without one]
 *
 * A prewarm is worth it when gain > cost for the best `hold` among a few candidates, the
 * arrival is approaching rather than fading, and waiting a little longer would not be better
 * (see decidePrewarm). Keeping an idle prewarmed instance is the same sum with the boot already spent (so it needs a smaller p:
 * hysteresis, not flapping).
 */
import { coldBootCostMs, GAP_BUCKET_EDGES_MS, recordGap, type GapHistogram } from './keep-alive';

const DAY_MS = 24 * 3600_000;
/** Width of one time-of-day slot. */
export const FORECAST_SLOT_MS = 5 * 60_000;
const SLOTS = DAY_MS / FORECAST_SLOT_MS;
/** Each day multiplies older daily counts by this (about the last two weeks matter). */
const DAILY_DECAY = 0.9;
/** The daily profile speaks only after this many (decayed) days of history. */
const MIN_DAYS = 1.5;
/** Windows a prewarm may hold an instance for after its boot. */
const HOLD_CANDIDATES_MS: readonly number[] = [30_000, 60_000, 120_000, 300_000, 600_000];

/** What the forecast remembers of a version's arrivals. Plain data: store it per version. */
export interface ArrivalForecast {
  /** Time of the latest arrival (ms); null before the first. */
  lastArrivalAt: number | null;
  /** Decayed arrivals per time-of-day slot (FORECAST_SLOT_MS wide, from midnight UTC). */
  daily: number[];
  /** Decayed days of history behind `daily`, as of `updatedAt`. */
  days: number;
  /** When `daily` and `days` were last brought up to date; null before the first arrival. */
  updatedAt: number | null;
}

export function emptyForecast(): ArrivalForecast {
  return { lastArrivalAt: null, daily: new Array<number>(SLOTS).fill(0), days: 0, updatedAt: null };
}

/** What the autoscaler keeps of a version's arrivals: the gaps between them, the forecast, the last one. */
export interface ArrivalHistory {
  gaps: GapHistogram;
  forecast?: ArrivalForecast;
  lastArrival?: number;
}

/**
 * The history after an arrival at `at` (ms). One older than the last arrival (reports from
 * several API processes can come out of order) counts in the daily profile but not as a gap.
 */
export function withArrival(history: ArrivalHistory, at: number): Required<ArrivalHistory> {
  const { gaps, lastArrival, forecast } = history;
  return {
    gaps: lastArrival !== undefined && at >= lastArrival ? recordGap(gaps, at - lastArrival) : gaps,
    lastArrival: Math.max(at, lastArrival ?? at),
    forecast: recordArrival(forecast ?? emptyForecast(), at),
  };
}

/** Decay factor and exposure added (in days) over `ms` of time. */
function age(ms: number): { factor: number; exposureDays: number } {
  const d = Math.max(0, ms) / DAY_MS;
  const factor = Math.pow(DAILY_DECAY, d);
  return { factor, exposureDays: (1 - factor) / -Math.log(DAILY_DECAY) };
}

/** Records one arrival at `at` (ms since the epoch); returns a new forecast. */
export function recordArrival(f: ArrivalForecast, at: number): ArrivalForecast {
  const { factor, exposureDays } = age(f.updatedAt === null ? 0 : at - f.updatedAt);
  const daily = f.daily.map((c) => c * factor);
  daily[slotOf(at)] += 1;
  return { lastArrivalAt: Math.max(at, f.lastArrivalAt ?? at), daily, days: f.days * factor + exposureDays, updatedAt: Math.max(at, f.updatedAt ?? at) };
}

function slotOf(t: number): number {
  return Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / FORECAST_SLOT_MS);
}

/**
 * Expected arrivals in [from, to) on a day like the past ones (slot resolution, partial slots
 * pro rata); 0 before MIN_DAYS of history.
 */
export function expectedDailyArrivals(f: ArrivalForecast, from: number, to: number): number {
  if (f.updatedAt === null || to <= from) return 0;
  const days = f.days * age(from - f.updatedAt).factor + age(from - f.updatedAt).exposureDays;
  if (days < MIN_DAYS) return 0;
  const factor = age(from - f.updatedAt).factor;
  let sum = 0;
  for (let t = from; t < to; ) {
    const slotEnd = (Math.floor(t / FORECAST_SLOT_MS) + 1) * FORECAST_SLOT_MS;
    const end = Math.min(to, slotEnd);
    sum += ((f.daily[slotOf(t)] * factor) / days) * ((end - t) / FORECAST_SLOT_MS);
    t = end;
  }
  return sum;
}

/**
 * P(the next gap ends in (idleMs, idleMs + horizonMs] | it is longer than idleMs), from the gap
 * histogram with each bucket's mass spread evenly over it (so a narrow timer band is located
 * within its bucket, not only at its edge), plus one unseen longer gap; gaps over 4 h never count
 * as within. 0 when no gap that long was recorded.
 */
export function gapProbabilityWithin(gaps: GapHistogram, idleMs: number, horizonMs: number): number {
  const a = idleMs;
  const b = idleMs + horizonMs;
  let over = 0;
  let within = 0;
  for (let i = 0; i < GAP_BUCKET_EDGES_MS.length; i++) {
    const hi = GAP_BUCKET_EDGES_MS[i];
    const lo = i === 0 ? 0 : GAP_BUCKET_EDGES_MS[i - 1];
    const c = gaps.counts[i];
    if (c === 0 || hi <= a) continue;
    if (!Number.isFinite(hi)) {
      over += c;
      continue;
    }
    const share = (lo2: number, hi2: number) => Math.max(0, Math.min(hi, hi2) - Math.max(lo, lo2)) / (hi - lo);
    over += c * share(a, Infinity);
    within += c * share(a, b);
  }
  // The next gap may be longer than any seen: one unseen gap past the histogram keeps a short
  // history from calling an arrival certain just because no longer gap has been recorded yet.
  over += UNSEEN_GAPS;
  return over > UNSEEN_GAPS ? within / over : 0;
}

/** Pseudo-count of gaps longer than any recorded (see gapProbabilityWithin). */
const UNSEEN_GAPS = 1;

export interface PrewarmInput {
  forecast?: ArrivalForecast;
  gaps?: GapHistogram;
  now: number;
  /** Typical boot time (ms). */
  setupMs: number;
  coldStartWeight: number;
  coldStartPenaltyMs: number;
  /** Fewer (decayed) gaps than this: the gap view stays silent. */
  minGapSamples: number;
}

export interface PrewarmDecision {
  /** The chance that the next arrival falls in the window. */
  probability: number;
  /** Expected GPU-ms saved minus GPU-ms spent; > 0 means worth it. */
  netGainMs: number;
  /** Keep the prewarmed instance until this time (ms) unless an arrival uses it. */
  until: number;
}

/** P(next arrival in [now, now + horizon]) by the likelier of the two views. */
function arrivalProbability(input: PrewarmInput, horizonMs: number): number {
  const { forecast, gaps, now } = input;
  let p = 0;
  if (gaps && forecast?.lastArrivalAt != null && gaps.total >= input.minGapSamples) {
    p = gapProbabilityWithin(gaps, now - forecast.lastArrivalAt, horizonMs);
  }
  if (forecast) p = Math.max(p, 1 - Math.exp(-expectedDailyArrivals(forecast, now, now + horizonMs)));
  return p;
}

function coldCostMs(input: PrewarmInput): number {
  const gaps = input.gaps ?? { counts: GAP_BUCKET_EDGES_MS.map(() => 0), total: 0 };
  return coldBootCostMs(gaps, input.setupMs, input.coldStartWeight, input.coldStartPenaltyMs);
}

/**
 * Whether to start an instance now for a version with none live, and for how long to hold it.
 * Worth it when the net gain is positive, the arrival is approaching (see below), and starting
 * now beats starting LOOKAHEAD_MS later (discounted by the chance the arrival comes meanwhile):
 * otherwise the first tick at which a prewarm pays would start it long before the arrival and
 * idle the difference away.
 */
export function decidePrewarm(input: PrewarmInput): PrewarmDecision {
  const now = best(input, input.setupMs);
  if (now.netGainMs <= 0) return now;
  // Only an arrival that is coming, not one that is fading: if the same window was likelier a
  // moment ago, the hazard is falling (a burst dying out), and whether to idle through a falling
  // hazard is the keep-alive's decision, already taken with the same prices.
  const window = now.until - input.now;
  const before = arrivalProbability({ ...input, now: input.now - LOOKAHEAD_MS }, window);
  if (before > now.probability + 1e-9) return { ...now, netGainMs: 0 };
  const later = best({ ...input, now: input.now + LOOKAHEAD_MS }, input.setupMs);
  const meanwhile = arrivalProbability(input, LOOKAHEAD_MS);
  return (1 - meanwhile) * later.netGainMs > now.netGainMs ? { ...now, netGainMs: 0 } : now;
}

/**
 * Whether an idle instance that has served nothing since it booted (a prewarm) is still worth
 * its GPU time: the same sum with the boot already paid.
 */
export function decideKeepPrewarmed(input: PrewarmInput): PrewarmDecision {
  return best(input, 0);
}

/** How far ahead decidePrewarm looks to see whether waiting would start a better prewarm. */
const LOOKAHEAD_MS = 30_000;
/** Steps over which the idle time until an arrival within the hold is integrated. */
const HOLD_STEPS = 8;

/**
 * The best hold for a start at `input.now` with `bootMs` still to spend. With a the next
 * arrival, r = now + boot the ready time and u = r + hold:
 *   a in [now, r): still a cold start, but it saves the boot it would have paid and about
 *   half the wait (priced × coldStartWeight);
 *   a in [r, u]: the instance idles a − r, then serves it warm;
 *   no arrival by u: it idles the whole hold.
 * Gain otherwise: P(r ≤ a ≤ u) × the cold start's price.
 */
function best(input: PrewarmInput, bootMs: number): PrewarmDecision {
  const cold = coldCostMs(input);
  let out: PrewarmDecision = { probability: 0, netGainMs: -Infinity, until: input.now };
  // Even a certain arrival within the longest window cannot pay for the boot: nothing to weigh.
  const longest = HOLD_CANDIDATES_MS[HOLD_CANDIDATES_MS.length - 1];
  const pMax = arrivalProbability(input, bootMs + longest);
  if (pMax * cold <= bootMs) return { probability: pMax, netGainMs: pMax * cold - bootMs - (1 - pMax) * longest, until: input.now + bootMs + longest };
  const pBoot = bootMs > 0 ? arrivalProbability(input, bootMs) : 0;
  for (const hold of HOLD_CANDIDATES_MS) {
    let idle = 0;
    let prev = pBoot;
    for (let j = 1; j <= HOLD_STEPS; j++) {
      const cum = arrivalProbability(input, bootMs + (j * hold) / HOLD_STEPS);
      idle += (cum - prev) * ((j - 0.5) * hold) / HOLD_STEPS;
      prev = cum;
    }
    const p = prev;
    idle += (1 - p) * hold;
    // An arrival during the boot is still a cold start: it saves only the boot it would have
    // paid and about half the wait, not the cold start's full price.
    const net = (p - pBoot) * cold + pBoot * (bootMs + (input.coldStartWeight * bootMs) / 2) - bootMs - idle;
    if (net > out.netGainMs) out = { probability: p, netGainMs: net, until: input.now + bootMs + hold };
  }
  return out;
}
