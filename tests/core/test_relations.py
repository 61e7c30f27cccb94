"""Relations per store schema stay few: the counts are reported, and no index repeats the
leading columns of another index on the same table (the other one serves those lookups)."""
from sqlalchemy import text

from app.extensions import db

INDEXES = text("""
SELECT c.relname AS tbl, i.relname AS idx, x.indisunique AS uniq, x.indkey::int2[] AS cols,
       x.indpred IS NOT NULL OR x.indexprs IS NOT NULL AS special, am.amname AS method
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE c.relnamespace = CAST(:s AS regnamespace) ORDER BY 1, 2""")


def redundant_indexes(conn, schema: str) -> list[str]:
    """Indexes whose columns lead another plain index of the same table and method; a unique
    index only counts as redundant when another unique index has exactly its columns."""
    by_table: dict[str, list] = {}
    for row in conn.execute(INDEXES, {"s": schema}):
        by_table.setdefault(row.tbl, []).append(row)
    found = []
    for table, indexes in by_table.items():
        for a in indexes:
            for b in indexes:
                if a is b or a.special or b.special or a.method != b.method:
                    continue
                ca, cb = list(a.cols), list(b.cols)
                if cb[:len(ca)] != ca:
                    continue
                if len(ca) == len(cb) and (a.uniq and not b.uniq or (a.uniq == b.uniq and a.idx < b.idx)):
                    continue  # of two equal indexes, report one (the non-unique, else the later name)
                if a.uniq and len(ca) < len(cb):
                    continue  # it enforces uniqueness on fewer columns
                found.append(f"{table}.{a.idx} {ca} repeats {b.idx} {cb}")
    return found


def relation_counts(conn, schema: str) -> dict[str, int]:
    rows = conn.execute(text("SELECT relkind, count(*) FROM pg_class WHERE relnamespace = CAST(:s AS regnamespace) "
                             "GROUP BY 1"), {"s": schema}).all()
    kinds = {"r": "tables", "i": "indexes", "S": "sequences"}
    counts = {name: 0 for name in kinds.values()}
    counts.update({kinds.get(k, k): n for k, n in rows})
    return counts


def test_a_store_schema_has_no_index_that_repeats_another(app, store, record_property):
    with app.app_context():
        conn = db.session.connection()
        counts = relation_counts(conn, store.schema)
        duplicates = redundant_indexes(conn, store.schema)
        db.session.rollback()
    record_property("relations_per_store", counts)
    print(f"\nrelations per store schema: {counts}")
    assert counts["tables"] and counts["indexes"] and counts["sequences"]
    assert duplicates == [], "indexes that repeat another's leading columns:\n" + "\n".join(duplicates)


def test_the_guard_finds_an_index_that_repeats_a_unique_constraint(app, store):
    with app.app_context():
        conn = db.session.connection()
        conn.execute(text(f'CREATE INDEX ix_guard_probe ON "{store.schema}".skus (product_id)'))
        assert any("ix_guard_probe" in d for d in redundant_indexes(conn, store.schema))
        db.session.rollback()
