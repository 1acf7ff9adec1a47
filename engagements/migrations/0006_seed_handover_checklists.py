"""Give every engagement created before the checklists existed the guide's items, as
`actions.create_engagement` now does for new ones, with their "created" rows in the audit
trail (by the system). The items are frozen here as they were when this ran."""

from django.db import migrations
from django.utils import timezone

KT, IP, MLOPS = "knowledge_transfer", "ip_data", "mlops"
GUIDE_ITEMS = (
    (KT, "kt_our_repositories", "The vendor works in our repositories from day one"),
    (KT, "kt_decisions_logged", "Feature-engineering, data and architecture decisions logged"),
    (KT, "kt_pair_programming", "Pair programming with our engineers in the final weeks"),
    (KT, "kt_runbook", "Runbook written and reviewed by our team"),
    (KT, "kt_retrained", "Our team has retrained the model without the vendor"),
    (KT, "kt_debugged_incident", "Our team has debugged an incident without the vendor"),
    (
        KT,
        "kt_supervised_period",
        "Supervised period: our team runs the system, the vendor is the safety net",
    ),
    (IP, "ip_trained_models", "Trained models assigned to us"),
    (IP, "ip_data_derivatives", "Training-data derivatives assigned to us"),
    (IP, "ip_custom_code", "Custom code assigned to us"),
    (IP, "ip_test_scripts", "Test scripts assigned to us"),
    (IP, "ip_pre_existing", "Pre-existing vendor IP addressed (e.g. their pre-trained base model)"),
    (IP, "data_encryption", "Data-handling agreement: encryption standard"),
    (IP, "data_deletion", "Data-handling agreement: deletion timeline after the engagement"),
    (MLOPS, "mlops_experiment_tracking", "Experiment tracking"),
    (MLOPS, "mlops_model_versioning", "Model versioning"),
    (MLOPS, "mlops_data_validation", "Data validation"),
    (MLOPS, "mlops_data_drift", "Data-drift monitoring"),
    (MLOPS, "mlops_concept_drift", "Concept-drift monitoring"),
    (MLOPS, "mlops_retraining_pipeline", "Retraining pipeline"),
)
BATCH = 500
# Run with a later model (as a test does), the items also say who confirms them, as
# 0008_checklist_client_confirms marks them.
CLIENT_CONFIRMS_KEYS = {
    "kt_runbook",
    "kt_retrained",
    "kt_debugged_incident",
    "kt_supervised_period",
}


def _confirms(model, checklist, key):
    if not any(field.name == "client_confirms" for field in model._meta.get_fields()):
        return {}
    return {"client_confirms": checklist == IP or key in CLIENT_CONFIRMS_KEYS}


def seed(apps, schema_editor):
    Engagement = apps.get_model("engagements", "Engagement")
    Item = apps.get_model("engagements", "ChecklistItem")
    History = apps.get_model("engagements", "HistoricalChecklistItem")
    now = timezone.now()
    pending = Engagement.objects.filter(checklist_items__isnull=True).values_list(
        "pk", "organisation_id"
    )
    batch = []
    for engagement_id, organisation_id in pending.iterator():
        batch += [
            (engagement_id, organisation_id, position, item)
            for position, item in enumerate(GUIDE_ITEMS)
        ]
        if len(batch) >= BATCH:
            _write(Item, History, batch, now)
            batch = []
    if batch:
        _write(Item, History, batch, now)


def _write(Item, History, batch, now):
    items = Item.objects.bulk_create(
        [
            Item(
                engagement_id=engagement_id,
                checklist=checklist,
                key=key,
                title=title,
                position=position,
                status="open",
                **_confirms(Item, checklist, key),
            )
            for engagement_id, _, position, (checklist, key, title) in batch
        ]
    )
    organisation = {engagement_id: org for engagement_id, org, _, _ in batch}
    if items and items[0].pk is None:  # a backend that does not return ids: read them back
        items = list(Item.objects.filter(engagement_id__in=organisation, key__gt="").order_by("id"))
    History.objects.bulk_create(
        [
            History(
                id=item.pk,
                engagement_id=item.engagement_id,
                checklist=item.checklist,
                key=item.key,
                title=item.title,
                position=item.position,
                status=item.status,
                evidence_note="",
                evidence_link="",
                evidence_document="",
                updated_at=now,
                history_date=now,
                history_type="+",
                history_organisation_id=organisation[item.engagement_id],
                **_confirms(History, item.checklist, item.key),
            )
            for item in items
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("engagements", "0005_milestones_checklists_decision_log")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
