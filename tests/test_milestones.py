"""Milestones through the pages: planning them, the guide's flags on the engagement page,
vendor contacts' reach, bad input, and constant query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.roles import Role
from engagements.models import Milestone

from .conftest import make_engagement, make_member
from .test_engagement_views import DETAIL_QUERIES, HOSTILE


def _add_url(engagement):
    return reverse("engagements:milestones", args=[engagement.pk])


def _edit_url(milestone):
    return reverse("engagements:milestone_edit", args=[milestone.engagement_id, milestone.pk])


def _payload(engagement, **overrides):
    data = {
        "phase": engagement.phases.get(number=2).pk,
        "title": "End-to-end pipeline deployed in staging",
        "due_date": "2026-04-06",
        "owner": "",
        "status": "planned",
        "evidence_note": "",
        "evidence_link": "",
    }
    return data | overrides


def _milestone(engagement, number=2, title="Pipeline in staging", due=date(2026, 4, 6), **kw):
    return Milestone.objects.create(
        engagement=engagement,
        phase=engagement.phases.get(number=number),
        title=title,
        due_date=due,
        **kw,
    )


def test_owner_adds_a_milestone_to_a_phase(client_for, owner, engagement):
    response = client_for(owner).post(_add_url(engagement), _payload(engagement, owner=owner.pk))
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert milestone.engagement == engagement and milestone.phase.number == 2
    assert milestone.owner == owner
    assert milestone.history.count() == 1  # in the audit trail


def test_an_accuracy_milestone_is_flagged_on_its_page_and_the_engagement_page(
    client_for, owner, org
):
    """R04: "reach 95% accuracy" is flagged with the guide's advice, where people plan and
    where they steer; a healthy engagement turns amber for it alone."""
    engagement = make_engagement(org, owner, start_date=date.today())
    client = client_for(owner)
    detail_url = reverse("engagements:detail", args=[engagement.pk])
    assert "Health: Green" in client.get(detail_url).content.decode()
    poc = engagement.phases.get(number=1)
    payload = _payload(
        engagement,
        phase=poc.pk,
        title="Reach 95% accuracy",
        due_date=(poc.planned_start + timedelta(weeks=4)).isoformat(),
    )
    assert client.post(_add_url(engagement), payload).status_code == 302
    page = client.get(_add_url(engagement)).content.decode()
    assert "Flagged:" in page and "promises a model score (95% accuracy)" in page
    detail = client.get(detail_url).content.decode()
    assert "1 milestone promises a model score (“Reach 95% accuracy”)" in detail
    assert "promises a score" in detail
    assert "Health: Amber" in detail


def test_development_without_hardening_or_early_mlops_warns_on_the_engagement_page(
    client_for, owner, engagement
):
    """R25 and R27 fire from the engagement's own milestones; planning both silences them."""
    client = client_for(owner)
    detail_url = reverse("engagements:detail", args=[engagement.pk])
    _milestone(engagement, title="End-to-end pipeline deployed in staging")
    page = client.get(detail_url).content.decode()
    assert "No production-hardening milestone" in page
    assert "No MLOps milestone in the first 4 weeks of development" in page
    # Development starts on 2 Mar 2026: MLOps by 30 Mar, hardening any time before production.
    _milestone(engagement, title="Experiment tracking and model versioning", due=date(2026, 3, 23))
    _milestone(engagement, title="Remove hardcoded thresholds", due=date(2026, 6, 1))
    page = client.get(detail_url).content.decode()
    assert "No production-hardening milestone" not in page
    assert "No MLOps milestone" not in page


def test_a_due_date_outside_its_phase_is_refused_and_the_last_day_is_allowed(
    client_for, owner, engagement
):
    client = client_for(owner)
    development = engagement.phases.get(number=2)  # 2 Mar to 22 Jun 2026
    response = client.post(_add_url(engagement), _payload(engagement, due_date="2026-02-16"))
    assert response.status_code == 422
    assert (
        "Enter a date within phase 2, Development &amp; Iteration: 2 Mar 2026 to 22 Jun 2026."
        in response.content.decode()
    )
    assert not Milestone.objects.exists()
    last_day = development.planned_end.isoformat()
    assert (
        client.post(_add_url(engagement), _payload(engagement, due_date=last_day)).status_code
        == 302
    )
    assert Milestone.objects.get().due_date == development.planned_end


def test_the_engagement_page_shows_milestone_warnings_in_the_health(client_for, owner, engagement):
    # The portfolio shows the top reason only (issue 8); the page lists every warning.
    _milestone(engagement, title="F1 of 0.9")
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    page = page.content.decode()
    assert "1 milestone promises a model score (“F1 of 0.9”)" in page


def test_the_engagement_page_folds_score_promises_into_one_warning(client_for, owner, engagement):
    """R04, readable: three score promises are one reason with the guide's advice once, not
    three copies of its paragraph."""
    for title in ("F1 of 0.9", "Reach 95% accuracy", "Precision above 80%"):
        _milestone(engagement, title=title)
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    page = page.content.decode()
    assert (
        "3 milestones promise a model score (“F1 of 0.9”, “Reach 95% accuracy”, "
        "“Precision above 80%”): milestones are process steps" in page
    )
    once = page.count("milestones are process steps")
    assert once == page.count("3 milestones promise a model score") >= 1
    assert "name the step that gets there" in page and "it promises a model score" not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"due_date": "2025-12-01"}, "Enter a date within the engagement"),
        ({"due_date": "2030-01-01"}, "Enter a date within the engagement"),
        ({"due_date": "9999-01-01"}, "Enter a date within the engagement"),
        ({"title": "x" * 20_000}, "at most 200 characters"),
        ({"title": "   "}, "Give the milestone a title."),
        ({"evidence_note": "x" * 20_000}, "at most 5000 characters"),
        ({"evidence_link": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"status": "achieved"}, "Select a valid choice."),
        ({"phase": "999999"}, "Choose one of the phases of this engagement"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    client_for, owner, engagement, overrides, message
):
    response = client_for(owner).post(_add_url(engagement), _payload(engagement, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_phase_or_owner_of_another_organisation_is_refused(
    client_for, owner, engagement, other_org, outsider
):
    theirs = make_engagement(other_org, outsider, title="Theirs")
    client = client_for(owner)
    response = client.post(
        _add_url(engagement), _payload(engagement, phase=theirs.phases.get(number=2).pk)
    )
    assert response.status_code == 422
    response = client.post(_add_url(engagement), _payload(engagement, owner=outsider.pk))
    assert response.status_code == 422
    assert "Choose someone from your organisation" in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_vendor_contact_not_on_this_engagement_cannot_own_its_milestones(
    client_for, owner, org, engagement
):
    elsewhere = make_member(org, Role.VENDOR, "elsewhere@northwind.test")
    response = client_for(owner).post(
        _add_url(engagement), _payload(engagement, owner=elsewhere.pk)
    )
    assert response.status_code == 422


def test_hostile_text_is_shown_escaped(client_for, owner, engagement):
    _milestone(engagement, title=HOSTILE[:200], evidence_note=HOSTILE)
    client = client_for(owner)
    for url in (_add_url(engagement), reverse("engagements:detail", args=[engagement.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_owner_edits_and_deletes_a_milestone(client_for, owner, engagement):
    milestone = _milestone(engagement)
    client = client_for(owner)
    data = _payload(engagement, title="Pipeline in staging, with rollback", status="done")
    assert client.post(_edit_url(milestone), data).status_code == 302
    milestone.refresh_from_db()
    assert milestone.title.endswith("rollback") and milestone.status == "done"
    delete = reverse("engagements:milestone_delete", args=[engagement.pk, milestone.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not Milestone.objects.exists()


def _from_page(url):
    """The headers htmx sends from the page at `url`."""
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"}


def test_htmx_edit_swaps_the_form_in_and_the_row_back(client_for, owner, engagement):
    milestone = _milestone(engagement)
    client = client_for(owner)
    inline = _from_page(_add_url(engagement))
    form = client.get(_edit_url(milestone), headers=inline).content.decode()
    assert form.lstrip().startswith(f'<article id="milestone-{milestone.pk}"')
    assert "<html" not in form and "hx-post" in form
    row = client.post(
        _edit_url(milestone), _payload(engagement, title="Reach 95% accuracy"), headers=inline
    ).content.decode()
    assert f'<article id="milestone-{milestone.pk}"' in row and "Flagged:" in row
    invalid = client.post(_edit_url(milestone), _payload(engagement, title=""), headers=inline)
    assert invalid.status_code == 200 and "Give the milestone a title." in invalid.content.decode()


def test_saving_from_the_milestones_own_page_returns_to_the_milestones_page(
    client_for, owner, engagement
):
    """No dead end: the own page posts a plain form and lands on the list with the message;
    an htmx post from anywhere but the list is sent there too, not given a lone row."""
    milestone = _milestone(engagement)
    client = client_for(owner)
    page = client.get(_edit_url(milestone)).content.decode()
    assert "<html" in page and "hx-post" not in page
    response = client.post(_edit_url(milestone), _payload(engagement, title="Pipeline live"))
    assert response.status_code == 302 and response.url == _add_url(engagement)
    assert "Milestone “Pipeline live” saved." in client.get(response.url).content.decode()
    stale = client.post(
        _edit_url(milestone),
        _payload(engagement, title="Pipeline live again"),
        headers=_from_page(_edit_url(milestone)),
    )
    assert stale.status_code == 200 and stale["HX-Redirect"] == _add_url(engagement)
    assert "<article" not in stale.content.decode()


# --- Query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_milestones_page_runs_the_same_queries_whatever_the_count(
    client_for, owner, engagement, count, django_assert_num_queries
):
    for i in range(count):
        _milestone(engagement, title=f"Step {i}", owner=owner, due=date(2026, 3, 2) + timedelta(i))
    client = client_for(owner)
    # session, user, memberships, engagement, phases, milestones (with owners), the owner
    # choices of the add form (its phase choices come from the prefetched plan).
    with django_assert_num_queries(7):
        response = client.get(_add_url(engagement))
    assert response.content.decode().count('class="card milestone"') == count


@pytest.mark.parametrize("count", [2, 20])
def test_the_engagement_page_runs_the_same_queries_whatever_the_milestones(
    client_for, owner, engagement, count, django_assert_num_queries
):
    for i in range(count):
        _milestone(engagement, title=f"Step {i}", owner=owner, due=date(2026, 3, 2) + timedelta(i))
    client = client_for(owner)
    url = reverse("engagements:detail", args=[engagement.pk])
    client.get(url)  # the gates' content type is cached after the first request
    ContentType.objects.clear_cache()
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(url)
    assert f"Step {count - 1}" in response.content.decode()


def test_the_board_pdf_lists_a_score_promising_milestone(org, owner, settings, tmp_path):
    """R04 reaches the board: the PDF's plan warnings name the accuracy milestone."""
    from .test_board_pdf import healthy_start, pdf_pages, render

    settings.MEDIA_ROOT = tmp_path
    engagement = make_engagement(org, owner, start_date=healthy_start())
    _milestone(engagement, number=1, title="Reach 95% accuracy", due=healthy_start())
    page_1 = pdf_pages(render(engagement.gates.get(number=1), owner))[0]
    assert "promises a model score" in page_1 and "Green" not in page_1


def test_the_panel_reads_milestones_itself_where_a_page_did_not_prefetch_them(
    rf, owner, engagement
):
    from engagements.templatetags.plan_panels import plan_panels

    _milestone(engagement, title="Pipeline in staging")
    request = rf.get("/")
    request.membership = owner.memberships.get()
    plain = type(engagement).objects.get(pk=engagement.pk)
    panel = plan_panels({"request": request}, plain)
    assert [m.title for g in panel["phases"] for m in g["milestones"]] == ["Pipeline in staging"]
    assert panel["checklists"][0] == {"label": "Knowledge transfer", "done": 0, "total": 7}


def test_milestone_and_decision_log_changes_show_in_the_engagements_activity(
    client_for, owner, engagement
):
    milestone = _milestone(engagement, title="Pipeline in staging")
    client = client_for(owner)
    client.post(_edit_url(milestone), _payload(engagement, title="Pipeline in production"))
    client.post(
        reverse("engagements:decision_log", args=[engagement.pk]),
        {"decided_on": "2026-02-03", "category": "data", "context": "C", "decision": "Use CRM."},
    )
    page = client.get(reverse("engagements:activity", args=[engagement.pk])).content.decode()
    assert "Pipeline in production" in page and "Use CRM." in page
