from datetime import date

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
