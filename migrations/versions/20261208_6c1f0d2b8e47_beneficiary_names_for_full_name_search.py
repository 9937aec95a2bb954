"""the distinct names of the registry, for a search by full name

``beneficiary_names``: every ``name_search`` a person has had, once, trigram-indexed on
PostgreSQL; kept by triggers on ``beneficiaries`` (an insert, per statement on PostgreSQL so
that a COPY or an import batch is one INSERT ... SELECT DISTINCT; an update that changes the
name, per row) and backfilled here. A search of three words or more finds its names in it,
then their people through the name index (decision 0066).

Revision ID: 6c1f0d2b8e47
Revises: dbc6271e1745
Create Date: 2026-12-08 00:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c1f0d2b8e47"
down_revision: str | None = "dbc6271e1745"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_FUNCTIONS = {
    "beneficiary_names_added": """
        INSERT INTO beneficiary_names (name_search)
        SELECT DISTINCT name_search FROM added_rows
        ON CONFLICT (name_search) DO NOTHING;
        RETURN NULL;""",
    "beneficiary_names_renamed": """
        INSERT INTO beneficiary_names (name_search) VALUES (NEW.name_search)
        ON CONFLICT (name_search) DO NOTHING;
        RETURN NULL;""",
}
POSTGRESQL_TRIGGERS = {
    "beneficiaries_names_insert": """CREATE TRIGGER beneficiaries_names_insert
        AFTER INSERT ON beneficiaries REFERENCING NEW TABLE AS added_rows
        FOR EACH STATEMENT EXECUTE FUNCTION beneficiary_names_added()""",
    "beneficiaries_names_update": """CREATE TRIGGER beneficiaries_names_update
        AFTER UPDATE OF name_search ON beneficiaries FOR EACH ROW
        WHEN (OLD.name_search IS DISTINCT FROM NEW.name_search)
        EXECUTE FUNCTION beneficiary_names_renamed()""",
}
SQLITE_TRIGGERS = {
    "beneficiaries_names_insert": """CREATE TRIGGER beneficiaries_names_insert
        AFTER INSERT ON beneficiaries FOR EACH ROW BEGIN
        INSERT OR IGNORE INTO beneficiary_names (name_search) VALUES (NEW.name_search); END""",
    "beneficiaries_names_update": """CREATE TRIGGER beneficiaries_names_update
        AFTER UPDATE OF name_search ON beneficiaries FOR EACH ROW
        WHEN OLD.name_search IS NOT NEW.name_search BEGIN
        INSERT OR IGNORE INTO beneficiary_names (name_search) VALUES (NEW.name_search); END""",
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "beneficiary_names",
        sa.Column("name_search", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name_search", name=op.f("pk_beneficiary_names")),
    )
    op.execute(
        "INSERT INTO beneficiary_names (name_search) SELECT DISTINCT name_search FROM beneficiaries"
    )
    op.create_index(
        "ix_beneficiary_names_name_search_trgm",
        "beneficiary_names",
        ["name_search"],
        postgresql_using="gin",
        postgresql_ops={"name_search": "gin_trgm_ops"},
    )
    if postgresql:
        for name, body in POSTGRESQL_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN{body}\n"
                "END $$"
            )
    for statement in (POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS).values():
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in POSTGRESQL_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON beneficiaries" if postgresql else ""))
    if postgresql:
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index(
        "ix_beneficiary_names_name_search_trgm",
        table_name="beneficiary_names",
        postgresql_using="gin",
        postgresql_ops={"name_search": "gin_trgm_ops"},
    )
    op.drop_table("beneficiary_names")
