"""Give the gates of every engagement created before gate criteria existed the guide's
criteria, as `actions.create_engagement` now does for new ones, with their "created" rows in
the audit trail (by the system). The criteria are frozen here as they were when this ran;
a gate that already has criteria keeps what it has."""

from django.db import migrations
from django.utils import timezone

KT, IP, MLOPS = "knowledge_transfer", "ip_data", "mlops"
# gate → (key, title, kind, met_by, weight, checklist, checklist_keys)
GUIDE_CRITERIA = {
    1: (
        ("problem_kpis_defined", "Problem and KPIs defined", "must", "kpis_defined", 1, "", ()),
        ("data_readiness", "Data readiness assessed", "must", "data_readiness", 1, "", ()),
        ("baseline_model", "A baseline model built", "should", "evidence", 2, "", ()),
        (
            "kpi_client_holdout",
            "The technical KPI met on the client's own hold-out data",
            "must",
            "kpi_met",
            1,
            "",
            (),
        ),
    ),
    2: (
        ("pipeline_staging", "End-to-end pipeline in staging", "must", "evidence", 1, "", ()),
        ("production_hardening", "Production hardening done", "must", "evidence", 1, "", ()),
        (
            "mlops_in_place",
            "Experiment tracking, model versioning, data validation, drift monitoring and a "
            "retraining pipeline in place",
            "must",
            "checklist",
            1,
            MLOPS,
            (),
        ),
        ("kpi_still_met", "The technical KPI still met", "must", "kpi_met", 1, "", ()),
        (
            "change_requests_decided",
            "No change request left open for long",
            "should",
            "change_requests",
            1,
            "",
            (),
        ),
    ),
    3: (
        (
            "kt_retrained_debugged",
            "Our team has retrained and debugged the model without the vendor",
            "must",
            "checklist",
            1,
            KT,
            ("kt_retrained", "kt_debugged_incident"),
        ),
        (
            "kt_runbook_documentation",
            "Runbook and documentation done",
            "must",
            "checklist",
            1,
            KT,
            ("kt_runbook", "kt_decisions_logged"),
        ),
        (
            "kt_supervised_period",
            "Supervised period completed",
            "must",
            "checklist",
            1,
            KT,
            ("kt_supervised_period",),
        ),
        (
            "ip_assigned",
            "IP assigned to us",
            "must",
            "checklist",
            1,
            IP,
            (
                "ip_trained_models",
                "ip_data_derivatives",
                "ip_custom_code",
                "ip_test_scripts",
                "ip_pre_existing",
            ),
        ),
        (
            "data_agreement_signed",
            "Data-handling agreement signed",
            "must",
            "checklist",
            1,
            IP,
            ("data_encryption", "data_deletion"),
        ),
        (
            "drift_retraining_handed_over",
            "Drift monitoring and the retraining pipeline running, operated by our team",
            "must",
            "checklist",
            1,
            MLOPS,
            ("mlops_data_drift", "mlops_concept_drift", "mlops_retraining_pipeline"),
        ),
        (
            "kt_pair_programming",
            "Pair programming in the final weeks",
            "should",
            "checklist",
            1,
            KT,
            ("kt_pair_programming",),
        ),
    ),
}
BATCH = 500


def seed(apps, schema_editor):
    Gate = apps.get_model("engagements", "Gate")
    Criterion = apps.get_model("engagements", "GateCriterion")
    History = apps.get_model("engagements", "HistoricalGateCriterion")
    now = timezone.now()
    pending = Gate.objects.filter(criteria__isnull=True).values_list(
        "pk", "number", "engagement_id", "engagement__organisation_id"
    )
    batch = []
    for gate_id, number, engagement_id, organisation_id in pending.iterator():
        batch += [
            (gate_id, engagement_id, organisation_id, position, guide)
            for position, guide in enumerate(GUIDE_CRITERIA.get(number, ()))
        ]
        if len(batch) >= BATCH:
            _write(Criterion, History, batch, now)
            batch = []
    if batch:
        _write(Criterion, History, batch, now)


def _write(Criterion, History, batch, now):
    rows = Criterion.objects.bulk_create(
        [
            Criterion(
                engagement_id=engagement_id,
                gate_id=gate_id,
                key=key,
                title=title,
                kind=kind,
                met_by=met_by,
                weight=weight,
                position=position,
                checklist=checklist,
                checklist_keys=list(keys),
            )
            for gate_id, engagement_id, _, position, (
                key,
                title,
                kind,
                met_by,
                weight,
                checklist,
                keys,
            ) in batch
        ]
    )
    organisation = {gate_id: org for gate_id, _, org, _, _ in batch}
    if rows and rows[0].pk is None:  # a backend that does not return ids: read them back
        rows = list(Criterion.objects.filter(gate_id__in=organisation, key__gt="").order_by("id"))
    History.objects.bulk_create(
        [
            History(
                id=row.pk,
                engagement_id=row.engagement_id,
                gate_id=row.gate_id,
                key=row.key,
                title=row.title,
                kind=row.kind,
                weight=row.weight,
                position=row.position,
                met_by=row.met_by,
                threshold=None,
                checklist=row.checklist,
                checklist_keys=row.checklist_keys,
                accept_vendor_data=False,
                evidence_note="",
                evidence_link="",
                evidence_document="",
                evidence_on=None,
                updated_at=now,
                history_date=now,
                history_type="+",
                history_organisation_id=organisation[row.gate_id],
            )
            for row in rows
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("engagements", "0009_gates_on_evidence")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
