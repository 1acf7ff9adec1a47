"""Mail leaves through the Celery worker, never from inside a request.

`CeleryEmailBackend` is Django's EMAIL_BACKEND: it turns each message into plain JSON and
queues `send_email` once the surrounding transaction commits (no mail about a rolled-back
invitation). The worker rebuilds the message and hands it to EMAIL_DELIVERY_BACKEND — SMTP
when EMAIL_HOST is set, else the console; locmem (`django.core.mail.outbox`) in tests.
"""

from __future__ import annotations

import base64
import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)


def serialise(message: EmailMessage) -> dict:
    """A JSON-safe description of `message` (text attachments as text, others base64)."""
    attachments = []
    for attachment in message.attachments:
        filename, content, mimetype = attachment
        if isinstance(content, bytes):
            attachments.append([filename, base64.b64encode(content).decode(), mimetype, True])
        else:
            attachments.append([filename, content, mimetype, False])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": attachments,
    }


def deserialise(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        alternatives=[tuple(a) for a in data["alternatives"]],
    )
    for filename, content, mimetype, encoded in data["attachments"]:
        message.attach(filename, base64.b64decode(content) if encoded else content, mimetype)
    return message


class CeleryEmailBackend(BaseEmailBackend):
    """Queues every message for the worker; sending in a request would tie a page to a slow
    or unreachable mail server."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            send_email.delay_on_commit(serialise(message))
        return len(email_messages)


@shared_task(
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_email(data: dict) -> None:
    """Deliver one queued message through the real backend. A retry after a half-sent
    message may deliver it twice; a lost invitation would be worse."""
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    connection.send_messages([deserialise(data)])
    log.info("mail sent to %d recipient(s): %s", len(data["to"]), data["subject"])
