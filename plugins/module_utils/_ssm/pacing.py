# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Client-side pacing shared by every thread of one module run: sit at the account's rate limit, not above it.

SSM throttles each API with a token bucket per account and region, shared by every client of the account,
and publishes no numbers; a throttled call answers ThrottlingException, "Rate exceeded" (AWS API reference,
common errors). Every throttled call is a call taken from that shared bucket, so a bulk run that bounces off
the limit slows every other SSM client of the account while it runs. Other clients may pace themselves the
same way: the slices of an AWX job are processes of their own, each with its own pacer, in one bucket.

``attach`` gives a client one ``Pacer`` per API (SSM keeps a bucket per API), shared by all its threads, plus
one over all APIs for ``max_calls_per_second``. A ``Pacer`` gives each HTTP attempt a time slot before it is
sent (botocore ``before-send``) and learns from each answer (``needs-retry``):

* unpaced until the first throttled answer (a run that is never throttled is never slowed), but for the attempts
  its threads send before any is answered while SPACED_FROM calls or more are queued (``QUEUED``, which
  bulk.run_per_item keeps): those go FIRST_SPACING apart, within FIRST_RAMP seconds (a slice that joins a bucket
  others drain sent all its threads into it at once, and each came back throttled; a step of a few calls cannot
  storm a bucket, and its calls went 0.6 s later for nothing), and the cut that follows the blind first one waits
  until MIN_EVIDENCE seconds after the last of them (threads asleep until their first slots keep the granted rate
  low: twenty threads throttled at random were cut to 3 calls a second);
* on a throttled answer, down to just under the rate of successful calls over the last second (when throttled, that
  is what the service grants), by at least 20 % where fewer than UNDER_GRANTED of the calls the pace allowed were
  granted (the pace went over); where nearly all were, the pace is at the bucket's rate, or its share of it, and the
  throttled answer comes of calls bunched by a busy process (fifteen of twenty account-regions in one process were
  cut by a fifth that way, to 16 calls a second under a 20/s bucket for the rest of the run): just under what was
  granted; so too the throttled answer after the one that ended the climb from the first cut, whose one second of
  answers held tokens the bucket refilled during the climb (21-23 a second at a 20/s bucket): the pace it set
  went over by that count's error, not by a neighbour's share (in two runs, five and seven of twenty
  account-regions were cut by a fifth there, to 16.5-18.8 calls a second, and finished last); and so the answer
  that ends a climb from a first cut the granted calls showed: the pace rose faster than a second's count
  follows, so it was never granted its whole pace (one that ended at 22 a second, granted 20, was cut to 17.5);
  until a full second has passed since the first throttled answer (the bucket's burst, drained before it, would
  inflate that rate) the rate of successful calls since then stands in, after at least MIN_EVIDENCE seconds;
  with no evidence yet, the first cut goes down to FIRST_CUT of the rate the run was sending at (unpaced, it sent
  several times what any bucket grants; the lower the guess, the fewer calls thrown away until the evidence comes),
  or, where more, GENTLE_CUT under the rate the calls granted before it show (their count over the seconds they took
  plus BURST_SECONDS: a bucket whose burst is at most a second of its rate granted at least that), and later ones
  wait for evidence; an answer to a call sent before the last cut teaches nothing new. The blind guess grows
  BLIND_GROWTH a second until the next throttled answer, so a guess under the bucket does not stick (twenty
  account-regions in one CPU-bound process were each cut once, to about 7 calls a second, and never throttled
  again); after a guess from a share of what was sent, that answer cuts a further GENTLE_CUT under the granted rate,
  which the bucket's burst, refilled while the run was under it, inflates (without it, the twenty were cut three
  times each, 5 % of their calls throttled); after one the granted calls showed, the climb was short, little of the
  burst refilled, and the answer cuts just under the granted rate (above);
* after a cut, the next one waits RECOVERY seconds, so the cut is measured at the new pace; no cut while the
  run sends at less than half its pace (one call at a time, or sleeping between retries): the pace is not
  what SSM throttled. The cut that follows the blind first one is made all the same: the blind one guessed,
  and threads asleep between retries would otherwise keep that guess for good (one slice of four held 50
  calls a second against a 20/s bucket that way, a quarter of its calls throttled);
* how the throttling began tells whether it follows the pace. A run whose first EARLY_ANSWERS answers were
  all granted, or which later saw CALM_ANSWERS answers in a row all granted, has found a bucket that its
  pace (with its neighbours') drains: every cut follows it, none is held. Each of N runs at one bucket cuts
  only its own calls, so the share of calls throttled grows about N x GROWTH / cut: between cuts the rate
  grows GROWTH a second plus STEP calls a second each second, the same STEP for every run, so the shares of
  runs at one bucket (each cut by a share of its own rate) draw together as additive increase and
  multiplicative decrease do, and the slices of one job finish nearer together; after QUIET seconds without
  a throttled answer (a neighbour is done, its share of the bucket free) QUICK_GROWTH a second plus
  QUICK_STEP calls a second each second (the same for every run again: runs at one bucket climb and are cut
  together, and a climb by a factor alone kept a slice that began at the floor there while the others
  finished), and a throttled answer that ends such a climb cuts back to where the climb began (by at most
  half: the bucket's burst, refilled meanwhile, hid how far past the limit the climb went);
* a run throttled within its first EARLY_ANSWERS answers and never calm since meets throttling that may not
  follow its pace (throttling at random, or a bucket others drain and keep drained): if a fifth or more of
  the answers were throttled before a cut and the share of calls granted did not rise after it (by IMPROVED,
  over at least EPOCH_ANSWERS answers, which it waits for), slowing down did not help, so no further cut until
  it does; between cuts its rate grows RANDOM_GROWTH a second, and never quicker (throttled at random, a run is
  never quiet; a run held above a bucket must not climb further). Until its first EARLY_ANSWERS answers are in,
  a run's cuts are judged so too, and its rate grows as at a bucket;
* never below MIN_RATE, nor a quarter of the most calls granted in any one second once a second has passed
  since the first throttled answer (the burst before it is no measure of the bucket);
* ``max_calls_per_second`` caps the rate: the run starts at the cap, paced, and adapts only below it.

Waiting for a slot is not an attempt: it happens before the request is sent, so it uses no retry of
botocore's nor of ``retry.ssm_retry``, and no timeout runs meanwhile. tools/bench/pacing_model.py plays these
rules against token buckets in simulated time (runs sharing one, runs alone, many in one process, throttling at
random).
"""

import collections
import math
import threading
import time

# SSM's and other AWS services' throttling codes (botocore's standard retry mode lists the same family).
THROTTLING_CODES = frozenset(
    ("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException")
)

FIRST_CUT = 0.15  # of the rate the run was sending at, on its first throttled answer: most calls sent at this guess until the evidence comes are throttled
GENTLE_CUT = 0.8  # a cut takes at least 20 %: fewer, deeper cuts throw fewer calls away where several runs share a bucket
UNDER_GRANTED = 0.97  # just under the measured success rate, so the service's bucket refills a little; a pace granted this share of its calls is at the bucket
GROWTH = 0.002  # per second between cuts, at a bucket the pace drains: four runs at one bucket threw 10 % of their calls away at 3 %, 4-6 % at 1 %
STEP = 0.05  # calls per second, each second between cuts at a bucket, the same for every run: shares of one bucket draw together
BLIND_GROWTH = 0.5  # per second after the blind first cut, until the next: a guess under the bucket is back at it within seconds
QUIET = 6.0  # seconds without a throttled answer before the rate grows QUICK_GROWTH: longer than runs sharing a bucket go unthrottled
QUICK_GROWTH = 0.08  # per second once quiet: the share of a neighbour that is done is taken back in 10-20 s; quicker stormed the refilled burst
QUICK_STEP = 0.3  # calls per second, each second once quiet (with FIRST_SPACING: four slices met the targets in 86 % of model runs, 78 % before)
RANDOM_GROWTH = 0.03  # per second between cuts where the throttling may not follow the pace (the rate it holds at then)
MAX_GROWTH = 30.0  # the largest exponent: a pace e**30 times its base is unpaced in all but name; more overflows a float
RECOVERY = 1.0  # seconds after a cut before the next: the cut is measured at the new pace first
WINDOW = 1.0  # seconds of successful calls the estimates look at
BURST_SECONDS = 1.0  # a bucket's burst, in seconds of its rate, as the first cut assumes it (at most)
FIRST_SPACING = 0.2  # seconds between the attempts sent before any is answered (four threads: 0.6 s)
FIRST_RAMP = 1.0  # seconds: however many threads a run has, its first attempts all go within this
SPACED_FROM = 50  # calls queued, at least, for the first attempts to go apart (4 nodes deregistered: 0.61 s spaced, 0.02 s not)
MIN_EVIDENCE = 0.3  # seconds of answers after the first throttled one before they stand in for a full window
FLOOR_SHARE = 0.25  # of the most calls granted in one second
IMPROVED = 0.05  # the granted share of answers must rise this much after a cut for the next one
EPOCH_ANSWERS = 8  # answers after a cut before its effect is judged
JUDGED_SHARE = 0.8  # only a cut made while a fifth or more of the answers were throttled is judged so
BINDING = 0.5  # a pace the run sends at less than half of is not what SSM throttles: no cut
EARLY_ANSWERS = 16  # a run whose first answers were all granted drained the bucket itself (a smaller burst throttles it sooner: 1.0's rules)
CALM_ANSWERS = 40  # answers in a row all granted: a bucket (at random, 3 calls in 10 throttled, about 1 run in 3,000 sees it)
# calls per second: a run that joins a bucket others drain is granted next to nothing at first (at 0.5 one slice of
# four sat a minute at one call every 2 s)
MIN_RATE = 2.0


class _Queued:
    """How many calls the per-node steps running now have queued: a hint every Pacer of the process reads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0

    def add(self, count):
        with self._lock:
            self.count += count


QUEUED = _Queued()


class Pacer:
    """One run's pace: time slots for attempts, and the rate they follow. Thread-safe."""

    def __init__(self, max_rate=None, clock=time.monotonic, sleep=time.sleep):
        self.max_rate = float(max_rate) if max_rate else None
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._base = self.max_rate  # the rate at the last cut (None: unpaced)
        self._cut_at = clock()
        self._next_slot = 0.0
        self._started = None
        self._sent = collections.deque()
        self._ok = collections.deque()
        self._best = 0.0
        self._first_throttle = None
        self._last_throttle = None
        self._ok_since_throttle = 0
        self._ok_before_throttle = 0
        self._epoch = [0, 0]  # answers to calls sent since the last cut: [granted, throttled]
        self._share_before = None  # granted share of the answers in the epoch before the last cut
        self._ramp_end = 0.0  # the last slot taken before the first answer
        self._from_history = False  # the first cut went to what the calls granted before it showed
        self._blind = True  # no cut yet, or the last was the first, blind one: nothing to measure it against
        self._after_climb = False  # the last cut ended the climb from the first one, at one second's count
        self._answers = 0
        self._recent = collections.deque(maxlen=CALM_ANSWERS)  # the last answers: throttled or not
        self._follows = None  # the throttling follows the pace (True), may not (False), too early to tell (None)
        self.cuts = 0
        self.waited = 0.0

    def _growth(self, now):
        """The exponent the rate grew by since the last cut, and the seconds of quiet growth in it."""
        since_cut = max(0.0, now - self._cut_at)
        if self._blind and self._base is not None:
            return min(MAX_GROWTH, BLIND_GROWTH * since_cut), 0.0
        if self._follows is False:
            return min(MAX_GROWTH, RANDOM_GROWTH * since_cut), 0.0
        quiet = max(0.0, now - max(self._cut_at, self._last_throttle or self._cut_at) - QUIET)
        return min(MAX_GROWTH, GROWTH * since_cut + (QUICK_GROWTH - GROWTH) * quiet), quiet

    def rate(self, now=None):
        """Calls per second allowed now; None while unpaced."""
        if self._base is None:
            return None
        now = self._clock() if now is None else now
        exponent, quiet = self._growth(now)
        rate = self._base * math.exp(exponent)
        if not self._blind and self._follows is not False:
            rate += STEP * max(0.0, now - self._cut_at) + QUICK_STEP * quiet
        return min(rate, self.max_rate) if self.max_rate else rate

    def slot(self):
        """Reserve the next time slot (``now`` when unpaced); returns (slot time, now)."""
        with self._lock:
            now = self._clock()
            if self._started is None:
                self._started = now
            rate = self.rate(now)
            slot = now if rate is None and self._answers else max(now, self._next_slot)
            if rate is not None:
                self._next_slot = slot + 1.0 / rate
            elif not self._answers and QUEUED.count >= SPACED_FROM:
                self._next_slot = min(slot + FIRST_SPACING, self._started + FIRST_RAMP)
                self._ramp_end = slot
            self._sent.append(slot)
            return slot, now

    def wait(self):
        """Block until this attempt's slot; returns the time the attempt is sent at."""
        slot, now = self.slot()
        if slot > now:
            self._sleep(slot - now)
            self.waited += slot - now
        return slot

    @staticmethod
    def _count(stamps, now):
        while stamps and stamps[0] <= now - WINDOW:
            stamps.popleft()
        return len(stamps)

    def _per_second(self, stamps, now):
        return self._count(stamps, now) / min(WINDOW, max(0.25, now - self._started))

    def _improved(self):
        """The granted share of answers rose after the last cut (or nothing to compare: a cut made while under a
        fifth of the answers were throttled, or the first); False until EPOCH_ANSWERS answers show it rose."""
        answers = sum(self._epoch)
        if self._share_before is None or self._share_before > JUDGED_SHARE:
            return True
        if answers < EPOCH_ANSWERS:
            # Not shown yet: a run at a few calls a second waits seconds for the answers, and each cut meanwhile
            # would restart its growth (throttled at random, one stayed at the 2/s floor for its whole run).
            return False
        return self._epoch[0] / answers >= self._share_before + IMPROVED or self._epoch[0] == answers

    def _granted(self, now):
        """Successful calls per second lately, or None while there is not enough evidence."""
        if now - (self._first_throttle if self._first_throttle is not None else self._started) >= WINDOW:
            return self._per_second(self._ok, now)
        if self._first_throttle is not None and now - self._first_throttle >= MIN_EVIDENCE:
            return self._ok_since_throttle / (now - self._first_throttle)
        return None

    def _learn_follows(self, throttled):
        """Whether the throttling follows the pace, from how it began and how calm it has been since."""
        self._answers += 1
        self._recent.append(throttled)
        if self._follows:
            return
        if self._answers == EARLY_ANSWERS and not any(self._recent):
            self._follows = True  # the run's first answers were all granted: it drained the bucket itself
        elif len(self._recent) == CALM_ANSWERS and not any(self._recent):
            self._follows = True  # calm once its pace settled: a bucket, not throttling at random
        elif self._answers >= EARLY_ANSWERS:
            self._follows = False

    def answered(self, sent_at, throttled):
        """Learn from the answer to an attempt sent at ``sent_at``."""
        with self._lock:
            now = self._clock()
            if self._started is None:
                self._started = now
            self._learn_follows(throttled)
            if sent_at >= self._cut_at or self._base is None:
                self._epoch[1 if throttled else 0] += 1
            if not throttled:
                self._ok.append(now)
                if self._first_throttle is None:
                    self._ok_before_throttle += 1
                else:
                    self._ok_since_throttle += 1
                    if now - self._first_throttle >= WINDOW:
                        self._best = max(self._best, self._count(self._ok, now))
                return
            if self._first_throttle is None:
                self._first_throttle = now
            current = self.rate(now)
            climb = None  # where a quiet climb began, if this throttled answer ends one
            if current is not None:
                exponent, quiet = self._growth(now)
                if quiet > 0:
                    climb = self._base * math.exp(exponent - QUICK_GROWTH * quiet)
            self._last_throttle = now
            if sent_at < self._cut_at and self._base is not None:
                return  # sent before the last cut: nothing new
            granted = self._granted(now)
            climb_ends = self._blind and self.cuts > 0  # this answer ends the climb from the blind first cut
            if current is None:
                sending = self._per_second(self._sent, now)
                # A bucket whose burst is a second of its rate granted this many a second at least; a run that went
                # a while before its first throttled answer (twenty account-regions in one CPU-bound process: 1.5 s)
                # learnt that much, where a fraction of what it sent guesses far under the bucket.
                history = self._ok_before_throttle / (now - self._started + BURST_SECONDS)
                new = min(GENTLE_CUT * sending, max(FIRST_CUT * sending, GENTLE_CUT * history))
                self._from_history = new > FIRST_CUT * sending
            elif granted is None or now < self._ramp_end + MIN_EVIDENCE:
                return  # wait for evidence
            elif not self._blind and self._count(self._sent, now) < BINDING * current * min(WINDOW, now - self._started):
                return  # the run sends slower than its pace (one call at a time, or sleeping between retries): not the pace's doing
            elif now - self._cut_at < RECOVERY and not self._blind:
                return  # the last cut is not measured yet
            elif not self._follows and not self._improved():
                return  # slowing down did not help: not this run's pace
            elif climb_ends and not self._from_history:
                # the climb from the blind guess ends: the burst the bucket refilled meanwhile inflates the granted rate
                new = GENTLE_CUT * min(current, UNDER_GRANTED * granted)
            elif granted >= UNDER_GRANTED * current or self._after_climb or climb_ends:
                # granted nearly all it sent: the pace is at the bucket's rate (or its share of it), and the
                # throttled answer the bunching of a busy process; or the pace came of the count that ended the climb,
                # which the refilled burst inflated; or this answer ends the climb, whose pace grew faster than the
                # granted count over the last second could follow. Just under what was granted, and under the pace
                new = UNDER_GRANTED * min(granted, current)
            else:
                new = min(GENTLE_CUT * current, UNDER_GRANTED * granted)
            if climb is not None:
                new = min(new, max(climb, 0.5 * current))
            answers = sum(self._epoch)
            self._after_climb = self._blind and current is not None
            # the first cut is blind (a bucket's burst inflates what came before it): it is not judged
            self._blind = current is None
            self._share_before = self._epoch[0] / answers if answers and not self._blind else None
            self._epoch = [0, 0]
            self._base = max(MIN_RATE, FLOOR_SHARE * self._best, new)
            if self.max_rate:
                self._base = min(self._base, self.max_rate)
            self._cut_at = now
            self._next_slot = max(self._next_slot, now)
            self.cuts += 1


def is_throttling(response=None, caught_exception=None):
    """True when botocore's answer to one attempt is a throttling error."""
    if caught_exception is not None or not response:
        return False
    http, parsed = response
    if getattr(http, "status_code", None) == 429:
        return True
    code = ((parsed or {}).get("Error") or {}).get("Code")
    return code in THROTTLING_CODES


class _Sent(threading.local):
    """Per thread: when its attempt in flight was sent (each thread has one attempt in flight at a time)."""

    at = 0.0


def attach(client, max_calls_per_second=None, clock=time.monotonic, sleep=time.sleep, service="ssm"):
    """Pace every attempt of ``client`` (and so every thread sharing it); returns the Pacers.

    One adaptive pace per operation, as SSM keeps a bucket per API; ``max_calls_per_second`` caps the
    calls of every operation together (a shared Pacer without adaptation of its own is not needed: the
    cap's slots are taken from one Pacer, ``pacers["*"]``, before the operation's own). ``clock`` and
    ``sleep`` are every Pacer's (a test's fake time); ``service`` the client's (``ecs`` for ECS's).
    """
    pacers = {"*": Pacer(max_calls_per_second, clock, sleep)} if max_calls_per_second else {}
    lock = threading.Lock()
    sent = _Sent()

    def pacer_for(event_name):
        operation = event_name.rsplit(".", 1)[-1]
        with lock:
            if operation not in pacers:
                pacers[operation] = Pacer(max_calls_per_second, clock, sleep)
            return pacers[operation]

    def before_send(event_name="", **kwargs):
        del kwargs
        if "*" in pacers:
            pacers["*"].wait()
        sent.at = pacer_for(event_name).wait()

    def after_attempt(event_name="", response=None, caught_exception=None, **kwargs):
        del kwargs
        throttled = is_throttling(response, caught_exception)
        if "*" in pacers:
            pacers["*"].answered(sent.at, throttled)
        pacer_for(event_name).answered(sent.at, throttled)

    client.meta.events.register(f"before-send.{service}", before_send, unique_id="hybridops.ssm.pacing.before_send")
    client.meta.events.register(f"needs-retry.{service}", after_attempt, unique_id="hybridops.ssm.pacing.after_attempt")
    return pacers
