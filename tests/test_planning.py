from datetime import date, timedelta
from itertools import pairwise

import pytest

from engagements import planning
from engagements.charts import LABEL_WIDTH, phase_timeline
from engagements.models import Phase
from engagements.planning import PlannedPhase, default_plan, handover_weeks_for, plan_warnings


def test_default_plan_has_an_eight_week_poc_and_a_handover_of_15_to_20_percent():
    phases = default_plan(date(2026, 1, 5))
    weeks = [p.planned_weeks for p in phases]
    assert weeks[0] == 8
    assert 4 <= weeks[2] <= 8
    assert 0.15 <= weeks[2] / sum(weeks) <= 0.20
    assert phases[1].planned_start == phases[0].planned_end
    assert phases[2].planned_start == phases[1].planned_end
    assert plan_warnings(phases) == []


def test_handover_is_clamped_to_four_to_eight_weeks():
    assert handover_weeks_for(6) == 4
    assert handover_weeks_for(200) == 8


def _plan(poc, dev, handover):
    start, phases = date(2026, 1, 5), []
    for number, weeks in enumerate((poc, dev, handover), start=1):
        end = date.fromordinal(start.toordinal() + weeks * 7)
        phases.append(PlannedPhase(number, start, end))
        start = end
    return phases


def test_a_14_week_poc_warns():
    assert any("14 weeks" in w and "6–12" in w for w in plan_warnings(_plan(14, 16, 6)))


def test_a_two_week_handover_warns_on_length_and_share():
    warnings = plan_warnings(_plan(8, 16, 2))
    assert any("Transition & Handover is planned for 2 weeks" in w for w in warnings)
    assert any("15–20%" in w for w in warnings)


def test_a_ten_percent_handover_warns():
    # 6 of 60 weeks: the length is within 4–8 weeks, the share is not.
    warnings = plan_warnings(_plan(12, 42, 6))
    assert len(warnings) == 1 and "10%" in warnings[0]


@pytest.mark.parametrize("weeks_long", [2, 4, 17, 30, 38, 80, 300])
def test_timeline_labels_the_first_and_last_months_and_never_overlaps(weeks_long):
    start = date(2026, 1, 14)
    phases = [Phase(number=1, planned_start=start, planned_end=start + timedelta(weeks=weeks_long))]
    timeline = phase_timeline(phases, start)
    labels = [tick.label for tick in timeline.ticks]
    end = phases[0].planned_end
    assert labels[0] == "Jan 2026" and labels[-1] == end.strftime("%b %Y")
    # Each label's extent: from its tick rightwards, or leftwards for an end-anchored one.
    spans = [
        (t.x - LABEL_WIDTH, t.x) if t.anchor == "end" else (t.x, t.x + LABEL_WIDTH)
        for t in timeline.ticks
    ]
    assert all(later[0] >= earlier[1] for earlier, later in pairwise(spans)), spans
    assert all(tick.anchor == "start" for tick in timeline.ticks[:-1])


def test_weeks_read_as_people_say_them():
    assert planning.weeks(8.0) == "8" and planning.weeks(23 / 7) == "3.3"
    assert planning.weeks(12.04) == "12"


def test_a_gap_between_phases_warns():
    phases = [
        PlannedPhase(1, date(2026, 1, 5), date(2026, 3, 2)),
        PlannedPhase(2, date(2026, 3, 16), date(2026, 7, 6)),
        PlannedPhase(3, date(2026, 7, 6), date(2026, 8, 17)),
    ]
    assert any("14 days between phase 1 and phase 2" in w for w in plan_warnings(phases))


def test_the_today_label_never_runs_off_the_chart():
    start = date(2026, 1, 5)
    phases = [Phase(number=1, planned_start=start, planned_end=start + timedelta(weeks=10))]
    assert phase_timeline(phases, start + timedelta(weeks=10)).today_anchor == "end"
    assert phase_timeline(phases, start + timedelta(weeks=2)).today_anchor == "start"
