"""Handover checklists (§3, §5, §7 of the guide): knowledge transfer, IP and data, MLOps
readiness. Each engagement starts with the guide's items (`GUIDE_ITEMS`, seeded by
`actions.create_engagement` and, for engagements older than this table, by a data
migration); owners and admins add, rename and remove items; gate 3 reads
`checklist_progress`.

Vendor contacts see the lists of their engagements and mark progress on the items that say
what the vendor does; items marked `client_confirms` are the company's to confirm — every IP
and data item (a vendor ticking "trained models assigned to us" would be marking its own
homework) and the knowledge-transfer items that say what *our team* has done (retrained the
model, debugged an incident, run the system, reviewed the runbook).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Count, Q

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited
from handover.uploads import DocumentField

from ..planning import DATE_BOUNDS
from .core import Engagement


class ChecklistList(models.TextChoices):
    KNOWLEDGE_TRANSFER = "knowledge_transfer", "Knowledge transfer"
    IP_AND_DATA = "ip_data", "IP and data"
    MLOPS = "mlops", "MLOps readiness"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


KT, IP, MLOPS = ChecklistList.KNOWLEDGE_TRANSFER, ChecklistList.IP_AND_DATA, ChecklistList.MLOPS
# (list, key, title): the guide's items. The key lets gate 3 find an item whatever it has
# been renamed to; custom items have none.
GUIDE_ITEMS: tuple[tuple[str, str, str], ...] = (
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
# The guide's items the client's own team confirms (besides every IP and data item): what
# our team does without the vendor, and our review of the runbook.
CLIENT_CONFIRMS_KEYS = frozenset(
    {"kt_runbook", "kt_retrained", "kt_debugged_incident", "kt_supervised_period"}
)


def client_confirms(checklist: str, key: str = "") -> bool:
    """Whether the guide's item (or a new custom item, `key` "") is the client's to confirm."""
    return checklist == IP or key in CLIENT_CONFIRMS_KEYS


def checklist_progress(items: Iterable) -> dict[str, tuple[int, int]]:
    """{list: (done, total)} for each of the three lists, in their order. Items marked not
    applicable count in neither figure: they are not owed. Reads `.checklist` and `.status`
    of each item (saved rows or any object alike)."""
    progress = {value: [0, 0] for value in ChecklistList.values}
    for item in items:
        if item.status == ItemStatus.NOT_APPLICABLE or item.checklist not in progress:
            continue
        progress[item.checklist][1] += 1
        progress[item.checklist][0] += item.status == ItemStatus.DONE
    return {name: (done, total) for name, (done, total) in progress.items()}


class ChecklistQuerySet(TenantQuerySet):
    def for_list(self):
        return self.select_related("owner").order_by("checklist", "position", "id")

    def progress(self) -> dict[str, tuple[int, int]]:
        """`checklist_progress` of these rows in one grouped query."""
        rows = (
            self.exclude(status=ItemStatus.NOT_APPLICABLE)
            .order_by()
            .values("checklist")
            .annotate(total=Count("id"), done=Count("id", filter=Q(status=ItemStatus.DONE)))
        )
        progress = {value: (0, 0) for value in ChecklistList.values}
        for row in rows:
            if row["checklist"] in progress:
                progress[row["checklist"]] = (row["done"], row["total"])
        return progress


class ChecklistItem(TenantModel):
    """One item of an engagement's handover checklists."""

    scope = Scope(
        "checklist",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="checklist_items"
    )
    checklist = models.CharField("list", max_length=20, choices=ChecklistList.choices)
    key = models.SlugField(max_length=60, blank=True, editable=False)
    title = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence_note = models.TextField("evidence", max_length=5000, blank=True)
    evidence_link = models.URLField("evidence link", max_length=500, blank=True)
    evidence_document = DocumentField("evidence document", blank=True)
    done_on = models.DateField("date done", null=True, blank=True, validators=DATE_BOUNDS)
    client_confirms = models.BooleanField(
        "confirmed by our team",
        default=False,
        help_text="Only your organisation's people may mark it; the vendor's contacts cannot.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    downloadable = ("evidence_document",)

    objects = ChecklistQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["checklist", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checklist__in=ChecklistList.values), name="checklist_list_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="checklist_status_valid"
            ),
            # A done item says when; an item that is not done has no date done.
            models.CheckConstraint(
                condition=Q(status=ItemStatus.DONE, done_on__isnull=False)
                | (~Q(status=ItemStatus.DONE) & Q(done_on__isnull=True)),
                name="checklist_done_has_date",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="checklist_title_not_empty"),
            # IP and data are always the client's to confirm.
            models.CheckConstraint(
                condition=~Q(checklist=IP) | Q(client_confirms=True),
                name="checklist_ip_confirmed_by_client",
            ),
            models.UniqueConstraint(
                fields=["engagement", "key"],
                condition=~Q(key=""),
                name="one_guide_item_per_engagement",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def vendor_may_update(self) -> bool:
        return not self.client_confirms


def guide_items(engagement: Engagement) -> list[ChecklistItem]:
    """The guide's items for `engagement`, unsaved (for a bulk insert)."""
    return [
        ChecklistItem(
            engagement=engagement,
            checklist=checklist,
            key=key,
            title=title,
            position=position,
            client_confirms=client_confirms(checklist, key),
        )
        for position, (checklist, key, title) in enumerate(GUIDE_ITEMS)
    ]
