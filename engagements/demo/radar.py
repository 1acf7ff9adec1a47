"""Demo data for the risk radar: nothing to add — the radar reads what the other demo
modules wrote — but the stored health the portfolio shows must be computed once they have.
Their rows are bulk-inserted (no signals), so this schedules one refresh of the whole
organisation for when seed_demo's transaction commits, after every contributor ran."""

from __future__ import annotations

from handover.seeding import Demo

from ..health import schedule_refresh


def seed_health(demo: Demo) -> None:
    schedule_refresh(organisation_id=demo.organisation.pk)
    demo.summary.append("Health and risks: stored for the portfolio once the demo is written.")
