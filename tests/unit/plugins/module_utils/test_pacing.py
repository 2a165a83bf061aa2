# -*- coding: utf-8 -*-

# Copyright: Contributors to the hybridops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The pace shared by a run's calls: slots, cuts on throttling, growth, floor and the cap. A fake clock; no timing."""

import math
import types

import pytest

from ansible_collections.hybridops.ssm.plugins.module_utils._ssm import pacing
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import CALLS_PER_SECOND
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.constraints import check_number
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.errors import SSMValidationError
from ansible_collections.hybridops.ssm.plugins.module_utils._ssm.pacing import Pacer

from .doubles import FakeTime
from .doubles import ScriptedClient


@pytest.fixture(name="many_queued")
def fixture_many_queued(monkeypatch):
    """A step with SPACED_FROM calls queued (bulk.run_per_item holds the count while it runs)."""
    monkeypatch.setattr(pacing.QUEUED, "count", pacing.SPACED_FROM)


def pacer(max_rate=None):
    fake = FakeTime(1000.0)
    return Pacer(max_rate, clock=fake.clock, sleep=fake.sleep), fake


def send_and_answer(p, fake, count, spacing, throttled=False):
    """``count`` attempts ``spacing`` seconds apart, each answered at once; returns their send times."""
    sent = []
    for _round in range(count):
        at = p.wait()
        sent.append(at)
        p.answered(at, throttled)
        fake.advance(spacing)
    return sent


def test_unpaced_until_the_first_throttle():
    p, fake = pacer()
    send_and_answer(p, fake, 50, 0.01)
    assert p.rate() is None and fake.sleeps == [] and p.cuts == 0


def test_a_first_throttle_with_nothing_granted_before_it_cuts_to_a_share_of_the_rate_the_run_was_sending_at():
    p, _fake = pacer()
    sent = [p.slot()[0] for _call in range(4)]  # four threads take their first slots at once, as a run joining a drained bucket
    p.answered(sent[0], throttled=True)
    assert p.rate() == pytest.approx(pacing.FIRST_CUT * 4 / 0.25)  # 4 calls sent, over the shortest window (0.25 s)
    assert p.cuts == 1
    p.answered(p.slot()[0], throttled=True)  # no evidence yet either: wait for it rather than cut again
    assert p.cuts == 1


def test_a_first_throttle_after_calls_granted_for_a_while_cuts_to_what_they_show_the_bucket_grants_at_least():
    p, fake = pacer()
    send_and_answer(p, fake, 20, 0.025)  # half a second at 40 a second, all granted
    p.answered(p.wait(), throttled=True)
    # a bucket whose burst is at most a second of its rate granted those 20 calls at 20 / 1.5 s a second or more
    assert p.rate() == pytest.approx(pacing.GENTLE_CUT * 20 / (0.5 + pacing.BURST_SECONDS))
    assert p.rate() > pacing.FIRST_CUT * 21 / 0.5  # more than the share of what it sent
    fake.advance(2)  # still a guess: it grows BLIND_GROWTH a second until the next throttled answer
    assert p.rate() == pytest.approx(pacing.GENTLE_CUT * 20 / 1.5 * math.exp(pacing.BLIND_GROWTH * 2))


def climb_ends(p, fake):
    """0.3 s after the first throttled answer, 0.3 s of answers: 6 granted, then a throttled one. Returns the rate
    just before that answer."""
    fake.advance(0.3)
    for _round in range(6):
        at, _now = p.slot()
        p.answered(at, throttled=False)
        fake.advance(0.05)
    at, _now = p.slot()
    current = p.rate()
    p.answered(at, throttled=True)
    return current


def test_the_climb_from_a_first_cut_the_granted_calls_showed_ends_just_under_the_rate_granted_since():
    p, fake = pacer()
    send_and_answer(p, fake, 20, 0.025)  # half a second at 40 a second, all granted, then the first throttled answer
    p.answered(p.wait(), throttled=True)
    climb_ends(p, fake)
    assert p.cuts == 2
    # the climb was short, so the bucket refilled little of its burst: no further cut than a measured one's
    assert p.rate() == pytest.approx(pacing.UNDER_GRANTED * 6 / 0.6, rel=0.05)


def test_a_climb_that_ends_just_past_the_granted_rate_is_cut_just_under_it_not_a_fifth_off():
    p, fake = pacer()
    send_and_answer(p, fake, 20, 0.025)
    p.answered(p.wait(), throttled=True)  # the first cut: to a share of what the 20 granted calls show
    granted_at(p, fake, 4, 11.5)  # at once, 4 granted over 0.35 s: the pace has climbed a little past that rate
    at, _now = p.slot()
    current = p.rate()
    p.answered(at, throttled=True)
    granted = 4 / (4 / 11.5)
    assert p.cuts == 2
    assert pacing.GENTLE_CUT * current < pacing.UNDER_GRANTED * granted < pacing.UNDER_GRANTED * current
    # the pace grew faster than a second's count of granted calls follows: the count is the measure
    assert p.rate() == pytest.approx(pacing.UNDER_GRANTED * granted, rel=0.02)


def blind_first_cut():
    """Ten threads take their first slots at once, two granted, then the first throttled answer: too little granted to
    show the bucket."""
    p, fake = pacer()
    sent = [p.slot()[0] for _call in range(10)]
    p.answered(sent[0], throttled=False)
    p.answered(sent[1], throttled=False)
    p.answered(sent[2], throttled=True)
    assert p.rate() == pytest.approx(pacing.FIRST_CUT * 10 / 0.25)  # the blind guess: a share of what it sent
    return p, fake


def test_the_climb_from_a_blind_guess_ends_further_under_the_rate_granted_since_the_first_throttled_answer():
    p, fake = blind_first_cut()
    fake.advance(pacing.FIRST_RAMP)  # the ten threads' first attempts are all out
    current = climb_ends(p, fake)
    assert p.cuts == 2
    # a further GENTLE_CUT under the successes of the last second: the climb from the guess ends
    assert p.rate() == pytest.approx(pacing.GENTLE_CUT * min(current, pacing.UNDER_GRANTED * 6 / 1.0), rel=0.01)


@pytest.mark.usefixtures("many_queued")
def test_the_cut_after_the_blind_one_waits_until_the_first_attempts_are_all_out():
    p, fake = blind_first_cut()
    climb_ends(p, fake)  # 0.6 s in, while threads still sleep until their first slots (up to FIRST_RAMP)
    # their sleep, not the bucket, keeps the granted rate low until then (in the model, twenty threads throttled at
    # random from their first calls were cut to 3 calls a second that way)
    assert p.cuts == 1


def first_throttle_without_evidence():
    """A pacer capped at 30 a second: 3 calls granted 0.04 s apart, then the first throttled answer."""
    p, fake = pacer(max_rate=30)
    for _round in range(3):
        p.slot()
        p.answered(fake.now, throttled=False)
        fake.advance(0.04)
    p.slot()
    p.answered(fake.now, throttled=True)
    return p, fake


def granted_then_throttled(p, fake):
    """0.4 s of answers after the first throttle: 8 granted (20 a second), then a throttled one."""
    for _round in range(8):
        fake.advance(0.05)
        p.slot()
        p.answered(fake.now, throttled=False)
    p.slot()
    p.answered(fake.now, throttled=True)


def test_answers_since_the_first_throttle_stand_in_for_a_full_second():
    p, fake = first_throttle_without_evidence()
    assert p.cuts == 0  # no evidence yet: no cut
    granted_then_throttled(p, fake)
    assert p.cuts == 1
    assert p.rate() == pytest.approx(pacing.UNDER_GRANTED * 20, rel=0.01)


def cut_to_the_granted_rate():
    """A capped pacer whose one cut went down to the granted rate (20 a second): 0.97 * 20."""
    p, fake = first_throttle_without_evidence()
    granted_then_throttled(p, fake)
    assert p.cuts == 1
    return p, fake


def answers(p, fake, seconds, per_second, throttled_every=0):
    """Answers to calls sent after the last cut: ``per_second`` granted, and a throttled one after every n-th."""
    for index in range(int(seconds * per_second)):
        fake.advance(1.0 / per_second)
        p.slot()  # the call is sent (its slot taken; the fake clock does not wait for it)
        p.answered(fake.now, throttled=False)
        if throttled_every and index % throttled_every == throttled_every - 1:
            p.slot()
            p.answered(fake.now, throttled=True)


def test_throttling_that_slowing_down_did_not_reduce_is_not_chased():
    p, fake = cut_to_the_granted_rate()  # 30 -> 19.4 a second
    answers(p, fake, 1.2, 12, throttled_every=2)  # a third throttled at the new pace
    assert p.cuts == 2  # the share before the first judged cut is what it is measured against
    rate = p.rate()
    answers(p, fake, 1.2, 12, throttled_every=2)  # still a third throttled: slowing down did not help
    assert p.cuts == 2
    assert p.rate() >= rate  # held, growing again


def test_a_slow_run_throttled_at_random_waits_for_the_answers_that_judge_its_last_cut():
    p, fake = pacer()
    sent = [p.wait() for _call in range(4)]
    p.answered(sent[0], throttled=True)  # throttled at once: the blind cut, near the floor
    answers(p, fake, 1.5, 2, throttled_every=2)  # a third throttled: the climb ends, cut to the floor
    assert p.cuts == 2 and p.rate() == pytest.approx(pacing.MIN_RATE, rel=0.05)
    answers(p, fake, 3, 2, throttled_every=2)  # a third throttled still, but fewer than EPOCH_ANSWERS answers yet
    assert p.cuts == 2  # no cut before they are in (each would restart the growth)
    answers(p, fake, 10, 2, throttled_every=2)  # the answers are in: slowing down did not help, held
    assert p.cuts == 2 and p.rate() > pacing.MIN_RATE * 1.3  # growing, not pinned to the floor


def test_throttling_that_slowing_down_reduced_is_followed():
    p, fake = cut_to_the_granted_rate()
    answers(p, fake, 1.2, 12, throttled_every=2)  # a third throttled
    assert p.cuts == 2
    answers(p, fake, 1.2, 12, throttled_every=12)  # far fewer throttled after that cut: the bucket binds
    assert p.cuts == 3


def test_a_run_that_drained_the_bucket_itself_follows_every_cut_even_where_it_did_not_help():
    p, fake = pacer(max_rate=30)
    granted_at(p, fake, pacing.EARLY_ANSWERS, 30)  # its first answers all granted: the bucket's burst, its own to drain
    at, _now = p.slot()
    p.answered(at, throttled=True)
    granted_then_throttled(p, fake)
    assert p.cuts == 1
    answers(p, fake, 1.2, 12, throttled_every=2)  # a third throttled
    answers(p, fake, 1.2, 12, throttled_every=2)  # still a third: not held, as a run throttled from its start is
    assert p.cuts == 3


def test_a_run_throttled_from_its_start_follows_every_cut_once_calm():
    p, fake = cut_to_the_granted_rate()
    answers(p, fake, 1.2, 12, throttled_every=2)
    assert p.cuts == 2
    answers(p, fake, 1.2, 12, throttled_every=2)
    assert p.cuts == 2  # held: slowing down did not help
    granted_at(p, fake, pacing.CALM_ANSWERS, 12)  # then CALM_ANSWERS in a row granted: a bucket, its pace settled
    answers(p, fake, 1.2, 12, throttled_every=2)
    assert p.cuts >= 3


def test_the_cut_after_the_blind_one_is_made_even_while_the_threads_sleep_between_retries():
    p, fake = pacer()
    send_and_answer(p, fake, 40, 0.005)  # 0.2 s at 200 a second, all granted
    p.answered(p.wait(), throttled=True)  # blind: a share of 200 a second, far above the bucket
    blind = p.rate()
    fake.advance(0.5)  # the threads sleep between retries: hardly a call sent since
    at, _now = p.slot()
    p.answered(at, throttled=False)
    at, _now = p.slot()
    p.answered(at, throttled=True)
    assert p.cuts == 2
    assert p.rate() == pytest.approx(pacing.MIN_RATE)  # 1 granted in half a second: just under it, at the floor


def one_second_of_answers(p, fake, granted):
    """One second of answers, 20 a second, sent after the last cut: ``granted`` granted, the rest throttled."""
    for index in range(20):
        at, _now = p.slot()
        p.answered(at, throttled=index >= granted)
        fake.advance(0.05)


def test_the_answer_after_the_climb_s_end_cuts_just_under_the_granted_rate_not_a_fifth_off():
    p, fake = measured_cut()  # its pace came of the answers that ended the climb
    fake.advance(5)
    current = p.rate()
    granted_at(p, fake, 16, 17)  # 16 granted at 17 a second, under the pace: it went over
    p.answered(p.slot()[0], throttled=True)
    assert p.cuts == 3
    assert 16 < pacing.UNDER_GRANTED * current and pacing.GENTLE_CUT * current < pacing.UNDER_GRANTED * 16
    assert p.rate() == pytest.approx(pacing.UNDER_GRANTED * 16, rel=0.01)


def settled_cut():
    """The cut after the climb's end (measured_cut): the later ones are the pace's."""
    p, fake = measured_cut()
    fake.advance(5)
    one_second_of_answers(p, fake, 16)
    assert p.cuts == 3
    return p, fake


def test_later_throttle_cuts_to_just_under_the_granted_rate_within_bounds():
    p, fake = settled_cut()
    fake.advance(5)
    current = p.rate()
    granted_at(p, fake, 14, 15)
    p.answered(p.slot()[0], throttled=True)
    # Granted less than UNDER_GRANTED of the pace: it went over, and the cut takes at least a fifth.
    assert 14 < pacing.UNDER_GRANTED * current and pacing.GENTLE_CUT * current < pacing.UNDER_GRANTED * 14
    assert p.rate() == pytest.approx(pacing.GENTLE_CUT * current, rel=0.01)
    one_second_of_answers(p, fake, 10)
    assert p.cuts == 4  # the throttled answers right after the cut wait for it to be measured


def test_a_pace_granted_nearly_all_it_sent_is_cut_just_under_what_was_granted():
    p, fake = settled_cut()
    fake.advance(5)
    current = p.rate()
    granted = math.floor(current * pacing.UNDER_GRANTED) + 1  # answers within the last second, every one granted
    for _call in range(granted):
        p.answered(p.slot()[0], throttled=False)
        fake.advance(0.9 / granted)
    p.answered(p.slot()[0], throttled=True)
    assert p.cuts == 4
    # Nearly all the pace allowed was granted: just under that, or under the pace where it is less; not a fifth off.
    assert granted >= pacing.UNDER_GRANTED * current
    assert p.rate() == pytest.approx(pacing.UNDER_GRANTED * min(granted, current), rel=0.01)
    assert p.rate() > pacing.GENTLE_CUT * current


def test_a_pace_granted_more_than_it_allowed_is_still_cut_just_under_the_pace():
    p, fake = settled_cut()
    fake.advance(5)
    current = p.rate()
    for _call in range(40):  # answers to calls sent before the pace slowed them (40 a second), all granted
        p.answered(p.slot()[0], throttled=False)
        fake.advance(0.025)
    p.answered(p.slot()[0], throttled=True)
    assert p.cuts == 4
    assert p.rate() == pytest.approx(pacing.UNDER_GRANTED * current, rel=0.01)


def test_the_throttled_answer_that_ends_the_blind_guess_s_climb_cuts_further_under_the_granted_rate():
    p, fake = blind_first_cut()
    fake.advance(5)  # the guess climbs BLIND_GROWTH a second; the bucket's burst refills meanwhile
    current = p.rate()
    one_second_of_answers(p, fake, 16)
    assert p.rate() == pytest.approx(pacing.GENTLE_CUT * min(current, pacing.UNDER_GRANTED * 16), rel=0.01)
    assert p.cuts == 2


def test_an_answer_to_a_call_sent_before_the_last_cut_teaches_nothing():
    p, fake = pacer()
    early = send_and_answer(p, fake, 30, 0.02)
    p.answered(p.wait(), throttled=True)
    rate = p.rate()
    p.answered(early[-1], throttled=True)  # sent before the cut, answered after it
    assert p.cuts == 1 and p.rate() == pytest.approx(rate)


def test_after_a_cut_the_next_waits_a_second():
    p, fake = measured_cut()
    p.answered(p.wait(), throttled=True)  # at once again: the cut is not measured yet
    assert p.cuts == 2
    send_and_answer(p, fake, 40, 0.0)  # paced: the pacer sleeps between slots, every call granted
    current = p.rate()
    p.answered(p.wait(), throttled=True)  # more than a second later
    assert p.cuts == 3 and p.rate() < current


def drained_then_cut():
    """A run whose first answers were all granted (it drained the bucket itself), then its first cut."""
    p, fake = pacer()
    send_and_answer(p, fake, 30, 0.02)
    p.answered(p.wait(), throttled=True)
    assert p.cuts == 1
    return p, fake


def measured_cut():
    """After the blind cut, 0.4 s of answers at 25 a second, then a throttled one: a cut to just under them."""
    p, fake = drained_then_cut()
    granted_at(p, fake, 10, 25)
    at, _now = p.slot()
    p.answered(at, throttled=True)
    assert p.cuts == 2
    return p, fake


def test_a_blind_guess_grows_quickly_until_the_next_throttled_answer():
    p, fake = drained_then_cut()
    blind = p.rate()
    fake.advance(2)  # no answer since: the guess may be under the bucket
    assert p.rate() == pytest.approx(blind * math.exp(pacing.BLIND_GROWTH * 2), rel=0.01)
    assert p.rate() > 2 * blind  # back at a bucket it was cut far below within seconds, not minutes


def test_at_a_bucket_the_rate_grows_slowly_between_cuts_then_quicker_once_quiet():
    p, fake = measured_cut()
    base = p.rate()
    fake.advance(pacing.QUIET)
    assert p.rate() == pytest.approx(base * math.exp(pacing.GROWTH * pacing.QUIET) + pacing.STEP * pacing.QUIET, rel=0.01)
    fake.advance(4)  # no throttled answer for QUIET seconds: a neighbour is done, its share of the bucket free
    grown = base * math.exp(pacing.GROWTH * (pacing.QUIET + 4) + (pacing.QUICK_GROWTH - pacing.GROWTH) * 4)
    assert p.rate() == pytest.approx(grown + pacing.STEP * (pacing.QUIET + 4) + pacing.QUICK_STEP * 4, rel=0.01)


def test_runs_at_different_paces_grow_by_the_same_step_so_their_shares_draw_together():
    small, fake_small = pacer()
    large, fake_large = pacer()
    for p, fake, per_second in ((small, fake_small, 5), (large, fake_large, 20)):
        send_and_answer(p, fake, 30, 0.02)
        p.answered(p.wait(), throttled=True)
        granted_at(p, fake, int(per_second * 0.4), per_second)
        p.answered(p.slot()[0], throttled=True)
    before = large.rate() / small.rate()
    fake_small.advance(5)
    fake_large.advance(5)
    assert large.rate() / small.rate() < 0.99 * before  # the same factor alone would keep the ratio


def test_a_run_left_at_the_floor_takes_up_a_finished_neighbour_s_share_by_calls_a_second_not_by_a_factor():
    p, fake = pacer()
    send_and_answer(p, fake, 30, 0.02)
    p.answered(p.wait(), throttled=True)
    granted_at(p, fake, 1, 2)
    p.answered(p.slot()[0], throttled=True)  # measured at the floor: its neighbours hold the bucket
    assert p.rate() == pytest.approx(pacing.MIN_RATE, rel=0.01)
    fake.advance(pacing.QUIET + 10)  # they are done: no throttled answer since
    # ten seconds into the climb it has taken up one neighbour's share of a 20/s bucket among four, 5 calls a second
    # (a climb by a factor alone, with STEP, was at 5.3 calls a second, the other 15 of the bucket idle)
    assert p.rate() >= pacing.MIN_RATE + 5


@pytest.mark.usefixtures("many_queued")
def test_the_first_attempts_before_any_answer_go_apart_then_the_run_is_unpaced():
    p, fake = pacer()
    slots = [p.slot()[0] for _thread in range(4)]  # four threads start at once; nothing answered yet
    assert [at - slots[0] for at in slots] == pytest.approx([0, pacing.FIRST_SPACING, 2 * pacing.FIRST_SPACING, 3 * pacing.FIRST_SPACING])
    p.answered(slots[0], throttled=False)
    assert p.slot()[0] == fake.now and p.rate() is None  # answered and granted: unpaced from here on


def test_a_step_of_a_few_calls_sends_its_first_attempts_at_once():
    p, fake = pacer()
    slots = [p.slot()[0] for _thread in range(4)]  # four nodes, four threads: no storm to prevent
    assert slots == [fake.now] * 4


@pytest.mark.usefixtures("many_queued")
def test_however_many_threads_start_their_first_attempts_go_within_the_ramp():
    p, _fake = pacer()
    slots = [p.slot()[0] for _thread in range(32)]
    assert max(slots) - slots[0] == pytest.approx(pacing.FIRST_RAMP)


def test_a_throttled_answer_that_ends_a_quick_climb_cuts_back_to_where_it_began():
    p, fake = measured_cut()
    base = p.rate()
    fake.advance(pacing.QUIET + 5)  # quiet: the climb begins at QUIET, then 5 s of QUICK_GROWTH
    climb_from = base * math.exp(pacing.GROWTH * pacing.QUIET)
    top = p.rate()
    step = pacing.STEP * (pacing.QUIET + 5) + pacing.QUICK_STEP * 5
    assert top == pytest.approx(climb_from * math.exp(pacing.QUICK_GROWTH * 5) + step, rel=0.01)
    sent = [p.wait() for _round in range(int(top))]  # a second of calls at the top of the climb
    for at in sent:
        p.answered(at, throttled=False)  # all granted (the bucket's burst refilled while the run was under it)
    p.answered(p.wait(), throttled=True)
    assert p.cuts == 3
    assert p.rate() == pytest.approx(max(climb_from * math.exp(pacing.GROWTH), 0.5 * top * math.exp(pacing.QUICK_GROWTH)), rel=0.1)


def test_where_the_throttling_may_not_follow_the_pace_the_rate_grows_as_before_and_never_quicker():
    p, fake = cut_to_the_granted_rate()  # throttled from its fourth answer on: it may not follow the pace
    answers(p, fake, 1.2, 12, throttled_every=2)
    assert p.cuts == 2
    base = p.rate()
    fake.advance(20)  # long quiet: no quick climb where cuts did not help
    assert p.rate() == pytest.approx(base * math.exp(pacing.RANDOM_GROWTH * 20), rel=0.01)


def throttled_at_the_pace(p, count):
    """``count`` attempts, each in its slot (the fake sleep moves the clock), each throttled."""
    for _round in range(count):
        p.answered(p.wait(), throttled=True)


def granted_at(p, fake, count, per_second):
    """``count`` answers, all granted, ``per_second`` a second (the slots taken, the fake clock moved by hand)."""
    for _round in range(count):
        at, _now = p.slot()
        p.answered(at, throttled=False)
        fake.advance(1.0 / per_second)


def test_never_below_a_quarter_of_the_most_calls_granted_in_a_second_once_the_burst_is_spent():
    p, fake = pacer()
    send_and_answer(p, fake, 200, 0.01)  # 100 a second granted for two seconds before any throttle: a burst, no floor
    p.answered(p.wait(), throttled=True)
    fake.advance(pacing.WINDOW)
    granted_at(p, fake, 100, 40)  # a second after the first throttled answer: 40 a second granted
    throttled_at_the_pace(p, 300)  # then throttled on and on
    assert p.rate() == pytest.approx(pacing.FLOOR_SHARE * 40, rel=0.05)


def test_a_burst_granted_before_the_first_throttle_sets_no_floor():
    p, fake = pacer()
    send_and_answer(p, fake, 200, 0.01)  # 100 a second granted for two seconds, then throttled on and on
    throttled_at_the_pace(p, 300)
    assert p.rate() == pytest.approx(pacing.MIN_RATE, rel=0.05)


def test_never_below_the_minimum_rate():
    p, fake = drained_then_cut()
    throttled_at_the_pace(p, 300)
    assert p.rate() == pytest.approx(pacing.MIN_RATE, rel=0.05)


def test_a_cap_under_the_minimum_rate_still_caps():
    p, fake = pacer(max_rate=1)
    for _round in range(30):
        fake.advance(2)
        p.answered(p.wait(), throttled=True)
    assert p.rate() == 1


def test_the_cap_paces_from_the_first_call_and_growth_stays_under_it():
    p, fake = pacer(max_rate=10)
    sent = send_and_answer(p, fake, 21, 0.0)
    gaps = {round(b - a, 6) for a, b in zip(sent, sent[1:])}
    assert gaps == {0.1}
    assert sum(fake.sleeps) == pytest.approx(2.0)
    fake.advance(3600)
    assert p.rate() == 10


def test_waiting_is_what_the_cap_costs_not_a_failure():
    """Slots of the cap are waited for in before-send: the wait is recorded, no answer is involved."""
    p, fake = pacer(max_rate=2)
    for _round in range(5):
        p.wait()
    assert p.waited == pytest.approx(2.0) and p.cuts == 0


def response(status, code=None):
    parsed = {"Error": {"Code": code, "Message": "m"}} if code else {}
    return (types.SimpleNamespace(status_code=status), parsed)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"response": response(400, "ThrottlingException")}, True),
        ({"response": response(400, "Throttling")}, True),
        ({"response": response(429)}, True),
        ({"response": response(400, "InvalidInstanceId")}, False),
        ({"response": response(500, "InternalServerError")}, False),
        ({"response": response(200)}, False),
        ({"caught_exception": ConnectionError()}, False),
        ({}, False),
    ],
)
def test_is_throttling(kwargs, expected):
    assert pacing.is_throttling(**kwargs) is expected


def test_attach_registers_a_pace_per_operation_and_the_cap_over_all():
    client = ScriptedClient()
    pacers = pacing.attach(client, 5)
    events = {event: (handler, unique_id) for event, handler, unique_id in client.meta.events.registered}
    assert set(events) == {"before-send.ssm", "needs-retry.ssm"}
    assert events["before-send.ssm"][1] == "hybridops.ssm.pacing.before_send"
    before_send, after_attempt = events["before-send.ssm"][0], events["needs-retry.ssm"][0]
    assert before_send(event_name="before-send.ssm.DeregisterManagedInstance", request=None) is None  # a value would be the HTTP response
    assert after_attempt(event_name="needs-retry.ssm.DeregisterManagedInstance", response=response(400, "ThrottlingException"), attempts=1) is None
    before_send(event_name="before-send.ssm.DescribeInstanceInformation", request=None)
    assert set(pacers) == {"*", "DeregisterManagedInstance", "DescribeInstanceInformation"}
    assert {name: p.rate() for name, p in pacers.items()} == {name: 5 for name in pacers}  # paced at the cap from the first call


def hooked(max_calls_per_second=None):
    """A client paced by attach on a fake clock, and one attempt of an operation through its two hooks."""
    client = ScriptedClient()
    fake = FakeTime(1000.0)
    pacers = pacing.attach(client, max_calls_per_second, clock=fake.clock, sleep=fake.sleep)
    handlers = {event: handler for event, handler, _unique_id in client.meta.events.registered}

    def attempt(operation, answer):
        handlers["before-send.ssm"](event_name=f"before-send.ssm.{operation}", request=None)
        handlers["needs-retry.ssm"](event_name=f"needs-retry.ssm.{operation}", response=answer, attempts=1)

    return pacers, fake, attempt


def test_a_throttle_through_the_hooks_slows_that_operation_then_the_rate_grows_back():
    pacers, fake, attempt = hooked()
    for _round in range(20):  # half a second at 40 a second, all granted: unpaced
        attempt("DeregisterManagedInstance", response(200))
        fake.advance(0.025)
    attempt("DescribeInstanceInformation", response(200))
    attempt("DeregisterManagedInstance", response(400, "ThrottlingException"))
    paced = pacers["DeregisterManagedInstance"]
    assert paced.cuts == 1
    cut = pacing.GENTLE_CUT * 20 / (0.5 + pacing.BURST_SECONDS)  # what the 20 calls granted in half a second show
    assert paced.rate() == pytest.approx(cut)
    assert pacers["DescribeInstanceInformation"].rate() is None  # another API's bucket: still unpaced
    assert fake.sleeps == []
    attempt("DeregisterManagedInstance", response(200))
    attempt("DeregisterManagedInstance", response(200))  # at once: waits for its slot, one interval at the new rate
    assert fake.sleeps == [pytest.approx(1 / cut)]
    fake.advance(3)  # a blind cut grows BLIND_GROWTH a second until the next throttled answer
    assert paced.rate() == pytest.approx(cut * math.exp(pacing.BLIND_GROWTH * (3 + 1 / cut)))


def test_a_throttle_through_the_hooks_slows_the_capped_pace_below_the_cap():
    pacers, fake, attempt = hooked(max_calls_per_second=20)
    for _round in range(40):  # two seconds at the cap, all granted
        attempt("DeregisterManagedInstance", response(200))
    assert pacers["DeregisterManagedInstance"].rate() == 20
    attempt("DeregisterManagedInstance", response(400, "ThrottlingException"))
    assert pacers["DeregisterManagedInstance"].cuts == 0  # no evidence yet: what came before was granted from the burst
    for _round in range(5):  # a quarter of a second at the cap, every other call throttled: 10 a second granted
        attempt("DeregisterManagedInstance", response(200))
        attempt("DeregisterManagedInstance", response(400, "ThrottlingException"))
    assert pacers["DeregisterManagedInstance"].cuts == 1
    cut = pacers["DeregisterManagedInstance"].rate()
    assert cut < 20 * pacing.GENTLE_CUT
    assert pacers["*"].rate() == pytest.approx(cut, rel=0.01)  # the cap over all APIs learns it too
    fake.advance(3600)
    assert {name: p.rate() for name, p in pacers.items()} == {"*": 20, "DeregisterManagedInstance": 20}  # back to the cap, never past it


def test_without_a_cap_each_operation_runs_unpaced_until_throttled():
    client = ScriptedClient()
    pacers = pacing.attach(client)
    handlers = {event: handler for event, handler, _unique_id in client.meta.events.registered}
    handlers["before-send.ssm"](event_name="before-send.ssm.ListCommands", request=None)
    assert list(pacers) == ["ListCommands"] and pacers["ListCommands"].rate() is None


@pytest.mark.parametrize("value", [0.1, 1, 10.5, 1000])
def test_calls_per_second_accepted(value):
    assert check_number("max_calls_per_second", value, CALLS_PER_SECOND, "calls per second") == value


@pytest.mark.parametrize(
    "value, shown",
    [
        (0, "0 (int)"),
        (-1.0, "-1.0 (float)"),
        (1000.5, "1000.5 (float)"),
        (float("nan"), "nan (float)"),
        (float("inf"), "inf (float)"),
        (True, "True (bool)"),
        ("10", "'10'"),
    ],
)
def test_calls_per_second_refused(value, shown):
    with pytest.raises(SSMValidationError) as info:
        check_number("max_calls_per_second", value, CALLS_PER_SECOND, "calls per second")
    assert str(info.value.message) == f"max_calls_per_second: {shown} must be a number of calls per second from 0.1 to 1000."
