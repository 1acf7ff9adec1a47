"""Which checklist items the client's own team confirms (vendor contacts cannot mark them):
every IP and data item, and the guide's knowledge-transfer items that say what our team does.
Existing rows are marked before the constraint that holds IP items to it is added."""

from django.conf import settings
from django.db import migrations, models

# Frozen as they were when this ran (engagements/models/checklists.py CLIENT_CONFIRMS_KEYS).
CLIENT_CONFIRMS_KEYS = [
    "kt_runbook",
    "kt_retrained",
    "kt_debugged_incident",
    "kt_supervised_period",
]


def mark(apps, schema_editor):
    Item = apps.get_model("engagements", "ChecklistItem")
    Item.objects.filter(
        models.Q(checklist="ip_data") | models.Q(key__in=CLIENT_CONFIRMS_KEYS)
    ).update(client_confirms=True)


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0007_invoice_reference_any_case"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="checklistitem",
            name="client_confirms",
            field=models.BooleanField(
                default=False,
                help_text="Only your organisation's people may mark it; the vendor's contacts cannot.",
                verbose_name="confirmed by our team",
            ),
        ),
        migrations.AddField(
            model_name="historicalchecklistitem",
            name="client_confirms",
            field=models.BooleanField(
                default=False,
                help_text="Only your organisation's people may mark it; the vendor's contacts cannot.",
                verbose_name="confirmed by our team",
            ),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="checklistitem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("checklist", "ip_data"), _negated=True),
                    ("client_confirms", True),
                    _connector="OR",
                ),
                name="checklist_ip_confirmed_by_client",
            ),
        ),
    ]
