"""The decision log (§3: "documents decisions daily"): data, feature-engineering,
architecture and tooling decisions recorded as they are made, so our team can reproduce and
debug after the vendor leaves.

Written by insiders and the engagement's vendor contacts. Nobody edits another person's
entry: a correction is a new entry, or an edit by its author, which the audit trail keeps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import Q

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited

from ..planning import DATE_BOUNDS
from .core import Engagement


class DecisionCategory(models.TextChoices):
    DATA = "data", "Data"
    FEATURE_ENGINEERING = "feature_engineering", "Feature engineering"
    ARCHITECTURE = "architecture", "Architecture"
    TOOLING = "tooling", "Tooling"
    OTHER = "other", "Other"


SEARCH_FIELDS = ("context", "decision", "consequences")
SEARCH_MAX_LENGTH = 200


class DecisionLogQuerySet(TenantQuerySet):
    def for_list(self):
        return self.select_related("author").order_by("-decided_on", "-id")

    def search(self, text: str):
        """Entries matching `text`: PostgreSQL full-text search (English stemming, web-search
        syntax: "quoted phrases", -excluded words, or), best match first; on SQLite every
        word must appear somewhere in the entry (case-insensitive)."""
        text = " ".join((text or "").split())[:SEARCH_MAX_LENGTH]
        if not text:
            return self
        if connection.vendor == "postgresql":
            # Imported here: the module needs psycopg, which SQLite installs may lack. The
            # expressions need no "django.contrib.postgres" in INSTALLED_APPS.
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = SearchVector(*SEARCH_FIELDS, config="english")
            query = SearchQuery(text, config="english", search_type="websearch")
            # Match with @@ (ts_rank gives non-matches a tiny non-zero rank), best first.
            return (
                self.annotate(document=vector, rank=SearchRank(vector, query))
                .filter(document=query)
                .order_by("-rank", "-decided_on", "-id")
            )
        condition = Q()
        for word in text.split():
            condition &= (
                Q(context__icontains=word)
                | Q(decision__icontains=word)
                | Q(consequences__icontains=word)
            )
        return self.filter(condition)


class DecisionLogEntry(TenantModel):
    """One recorded decision."""

    scope = Scope(
        "decision_log",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="decision_log"
    )
    decided_on = models.DateField("date", validators=DATE_BOUNDS)
    category = models.CharField(max_length=20, choices=DecisionCategory.choices)
    context = models.TextField(max_length=10000, help_text="What prompted the decision.")
    decision = models.TextField(max_length=5000)
    consequences = models.TextField(
        max_length=10000, blank=True, help_text="What follows from it: trade-offs, follow-ups."
    )
    # Kept with the entry whatever happens to the author's membership; PROTECT as for gate
    # decisions, so an account cannot vanish from under its entries.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DecisionLogQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = "decision-log entry"
        verbose_name_plural = "decision-log entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=DecisionCategory.values),
                name="decision_log_category_valid",
            ),
            models.CheckConstraint(condition=~Q(decision=""), name="decision_log_has_decision"),
        ]

    def __str__(self) -> str:
        return self.decision[:80]
