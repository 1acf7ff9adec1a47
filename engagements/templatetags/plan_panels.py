"""`{% load plan_panels %}{% plan_panels engagement %}`: the engagement page's milestones (by
phase, flagged where they promise a score), handover-checklist progress and the way to the
decision log — self-contained, so `views._detail_context` needs no change.

Milestones come from the page's prefetch (`EngagementQuerySet.with_plan`); the checklist
progress is one grouped query. So the page's query count does not grow with the rows.
"""

from __future__ import annotations

from django import template

from engagements.health import prefetched_milestones
from engagements.models import ChecklistItem, ChecklistList, Milestone

register = template.Library()


@register.inclusion_tag("engagements/_plan_panels.html", takes_context=True)
def plan_panels(context, engagement) -> dict:
    membership = context["request"].membership
    grouped = prefetched_milestones(engagement)
    if grouped is None:  # a page that did not prefetch them: one restricted query
        milestones = Milestone.objects.restrict(membership).filter(engagement=engagement)
        numbers = {phase.pk: phase.number for phase in engagement.phase_list}
        grouped = {}
        for milestone in milestones.for_list():
            grouped.setdefault(numbers.get(milestone.phase_id, 0), []).append(milestone)
    phases = [
        {"phase": phase, "milestones": grouped.get(phase.number, [])}
        for phase in engagement.phase_list
        if grouped.get(phase.number)
    ]
    progress = ChecklistItem.objects.restrict(membership).filter(engagement=engagement).progress()
    return {
        "engagement": engagement,
        "phases": phases,
        "checklists": [
            {"label": label, "done": progress[value][0], "total": progress[value][1]}
            for value, label in ChecklistList.choices
        ],
        "user": context.get("user"),
        "can": context.get("can", {}),
    }
