"""Writing thousands of rows: what the stored-health refresh and the demo seeders do.

Saving a few fields of each (`update_fields`): `QuerySet.bulk_update` builds a `CASE WHEN
id = … THEN …` per field over every row of a batch, and resolving those expressions cost more
than the work around it (2 of the 4 s of refreshing 1,000 engagements' health). One
parametrised UPDATE per row, sent as one `executemany` in one transaction, has the same effect
— no signals, no history rows, no `auto_now` — with each value prepared by its field, for any
database.

Inserting rows nothing reads back in the same breath (`insert_rows`): `bulk_create` compiles
one placeholder per value and, with DEBUG on, keeps the text of each 500-row statement; half
of seeding the demo went there. One parametrised INSERT, sent as one `executemany`, does the
same work without either — but sets no primary key on the objects, so parents whose children
follow still go through `bulk_create`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, router, transaction


def update_fields(objs: Iterable, fields: Sequence[str]) -> int:
    """Save `fields` of each of `objs` (saved instances of one model); returns how many."""
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    # Only the model's own table and column names, quoted, are in the text; values are
    # parameters.
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns]
        + [obj.pk]
        for obj in objs
    ]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(sql, rows)  # one commit, not one per row
    return len(rows)


def insert_rows(objs: Iterable) -> int:
    """Insert `objs` (new instances of one model, without a primary key, their foreign keys
    set by id) the way `bulk_create` would — defaults and `auto_now_add` filled, no signals —
    without setting their primary keys. Returns how many."""
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [field for field in meta.concrete_fields if field is not meta.auto_field]
    names = ", ".join(quote(field.column) for field in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in columns]
        for obj in objs
    ]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)
