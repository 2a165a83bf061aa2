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

* unpaced until the first throttled answer (a run that is never throttled is never slowed);
* the first throttled answer cuts blind, to FIRST_CUT of the rate the run was sending at (unpaced, it sent
  several times what any bucket grants; the calls granted before it were the bucket's burst), or, once
  MIN_EVIDENCE seconds of answers since the first throttled one are in, to just under the rate of calls
  granted since; the blind guess grows BLIND_GROWTH a second until the next throttled answer, so a guess
  under the bucket (a run slowed by its own machine, twenty account-regions in one process) does not stick,
  and that answer sets the rate to just under the rate granted since the first one, up or down;
* a later throttled answer cuts to just under the rate of successful calls over the last second (when
  throttled, that is what the service grants), by at least GENTLE_CUT; an answer to a call sent before the
  last cut teaches nothing new; after a cut the next waits RECOVERY seconds, so the cut is measured at the
  new pace; no cut while the run sends at less than half its pace (one call at a time, or sleeping between
  retries): the pace is not what SSM throttled;
* between cuts the rate grows GROWTH a second plus STEP calls a second each second. STEP is the same for
  every run, so runs sharing a bucket (each cutting its own calls, each by a share of its own rate) drift
  towards equal shares, as additive increase and multiplicative decrease do, and the slices of one job
  finish together rather than one after another. After QUIET seconds without a throttled answer (a
  neighbour is done, its share of the bucket free) the rate grows QUICK_GROWTH a second, and a throttled
  answer that ends such a climb cuts back to where the climb began (by at most half: the bucket's burst,
  refilled meanwhile, hid how far past the limit the climb went);
* every throttled answer is followed, even where slowing down does not seem to help (throttling at random,
  or a bucket others drain and keep drained): a run that held its pace there kept its neighbours' cuts from
  helping, and eight pacers at one bucket threw away a quarter of their calls;
* never below MIN_RATE, nor a quarter of the most calls granted in any one second once a second has passed
  since the first throttled answer (the burst before it is no measure of the bucket);
* ``max_calls_per_second`` caps the rate: the run starts at the cap, paced, and adapts only below it.

Waiting for a slot is not an attempt: it happens before the request is sent, so it uses no retry of
botocore's nor of ``retry.ssm_retry``, and no timeout runs meanwhile. tools/bench/pacing_model.py plays
these rules against token buckets (runs sharing one, a run alone, many in one process) in simulated time.
"""

import collections
import math
import threading
import time

# SSM's and other AWS services' throttling codes (botocore's standard retry mode lists the same family).
THROTTLING_CODES = frozenset(
    ("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException")
)

# The constants come from tools/bench/pacing_model.py (100 simulated runs of four slices at one bucket each) and
# the bench's rate-limited, slices and org_sweep cases against the endpoint.
FIRST_CUT = 0.15  # of the rate the run was sending at, on its first throttled answer: most calls sent at this guess until the evidence comes are throttled
BLIND_GROWTH = 0.5  # per second after the blind first cut, until the next: a guess below the bucket is back at it within a few seconds
GENTLE_CUT = 0.8  # a cut takes at least 20 %: fewer, deeper cuts throw fewer calls away where several runs share a bucket
UNDER_GRANTED = 0.97  # just under the measured success rate, so the service's bucket refills a little
GROWTH = 0.0065  # per second between cuts: four runs at one bucket threw 10 % of their calls away at 3 %, 4-6 % at 1 %
STEP = 0.05  # calls per second, each second between cuts, the same for every run: shares of one bucket drift together
QUIET = 6.0  # seconds without a throttled answer before the rate grows QUICK_GROWTH: longer than runs sharing a bucket go unthrottled
QUICK_GROWTH = 0.08  # per second once quiet: the share of a neighbour that is done is taken back in 10-20 s; quicker stormed the refilled burst
MAX_GROWTH = 30.0  # the largest exponent: a pace e**30 times its base is unpaced in all but name; more overflows a float
RECOVERY = 1.0  # seconds after a cut before the next: the cut is measured at the new pace first
WINDOW = 1.0  # seconds of successful calls the estimates look at
MIN_EVIDENCE = 0.3  # seconds of answers after the first throttled one before they stand in for a full window
FLOOR_SHARE = 0.25  # of the most calls granted in one second
BINDING = 0.5  # a pace the run sends at less than half of is not what SSM throttles: no cut
# calls per second: a run that joins a bucket others drain is granted next to nothing at first (at 0.5 one slice of
# four sat a minute at one call every 2 s)
MIN_RATE = 2.0


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
        self._blind = True  # no cut yet, or the last was the first, blind one: nothing to measure it against
        self.cuts = 0
        self.waited = 0.0

    def _pace(self, now):
        """The rate the last cut's base has grown to by ``now``."""
        since_cut = max(0.0, now - self._cut_at)
        if self._blind:
            return self._base * math.exp(min(MAX_GROWTH, BLIND_GROWTH * since_cut))
        exponent = GROWTH * since_cut + (QUICK_GROWTH - GROWTH) * self._quiet(now)
        return self._base * math.exp(min(MAX_GROWTH, exponent)) + STEP * since_cut

    def _quiet(self, now):
        """Seconds past QUIET without a throttled answer since the last cut (0 after a blind cut)."""
        if self._blind:
            return 0.0
        return max(0.0, now - max(self._cut_at, self._last_throttle or self._cut_at) - QUIET)

    def rate(self, now=None):
        """Calls per second allowed now; None while unpaced."""
        if self._base is None:
            return None
        now = self._clock() if now is None else now
        rate = self._pace(now)
        return min(rate, self.max_rate) if self.max_rate else rate

    def slot(self):
        """Reserve the next time slot (``now`` when unpaced); returns (slot time, now)."""
        with self._lock:
            now = self._clock()
            if self._started is None:
                self._started = now
            rate = self.rate(now)
            slot = now if rate is None else max(now, self._next_slot)
            if rate is not None:
                self._next_slot = slot + 1.0 / rate
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

    def _granted(self, now):
        """Successful calls per second lately, or None while there is not enough evidence."""
        if now - (self._first_throttle if self._first_throttle is not None else self._started) >= WINDOW:
            return self._per_second(self._ok, now)
        if self._first_throttle is not None and now - self._first_throttle >= MIN_EVIDENCE:
            return self._ok_since_throttle / (now - self._first_throttle)
        return None

    def _cut_to(self, now, current):
        """The rate a throttled answer at ``now`` cuts to, or None for no cut."""
        granted = self._granted(now)
        if current is None:
            sending = self._per_second(self._sent, now)
            if granted is None:
                return FIRST_CUT * sending
            return min(GENTLE_CUT * sending, max(FIRST_CUT * sending, UNDER_GRANTED * granted))
        if granted is None:
            return None  # wait for evidence
        if not self._blind and self._count(self._sent, now) < BINDING * current * min(WINDOW, now - self._started):
            return None  # the run sends slower than its pace (one call at a time, or sleeping between retries): not the pace's doing
        if now - self._cut_at < RECOVERY and not self._blind:
            return None  # the last cut is not measured yet
        if self._blind:
            # made at once (threads asleep between retries would otherwise keep the guess), up or down: a measure
            # replaces the guess
            return UNDER_GRANTED * granted
        if granted < current:
            return min(GENTLE_CUT * current, UNDER_GRANTED * granted)
        return GENTLE_CUT * current

    def answered(self, sent_at, throttled):
        """Learn from the answer to an attempt sent at ``sent_at``."""
        with self._lock:
            now = self._clock()
            if self._started is None:
                self._started = now
            if not throttled:
                self._ok.append(now)
                if self._first_throttle is not None:
                    self._ok_since_throttle += 1
                    if now - self._first_throttle >= WINDOW:
                        self._best = max(self._best, self._count(self._ok, now))
                return
            if self._first_throttle is None:
                self._first_throttle = now
            current = self.rate(now)
            quiet = self._quiet(now) if current is not None else 0.0
            climb = self._pace(now - quiet) if quiet > 0 else None  # where the quiet climb this answer ends began
            self._last_throttle = now
            if sent_at < self._cut_at and self._base is not None:
                return  # sent before the last cut: nothing new
            new = self._cut_to(now, current)
            if new is None:
                return
            if climb is not None:
                new = min(new, max(climb, 0.5 * current))
            self._blind = current is None  # the first cut is blind (a bucket's burst inflates what came before it)
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
