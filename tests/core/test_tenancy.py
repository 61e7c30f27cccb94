"""Rule 4: tenancy cannot be forgotten, and stores never see each other's rows."""
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.blueprints.platform.models import Store
from app.blueprints.store.models import StaffUser
from app.core.tenancy import TenantNotBound, bind_store, store_context, unbind_store
from app.extensions import db
from tests.conftest import add_staff


def test_tenant_query_without_a_store_fails_loudly(ctx):
    with pytest.raises(TenantNotBound):
        db.session.scalars(select(StaffUser)).all()


def test_tenant_write_without_a_store_fails_loudly(ctx):
    db.session.add(StaffUser(email="x@y.cn", name="x", role_id=1))
    with pytest.raises(TenantNotBound):
        db.session.flush()
    db.session.rollback()


def test_two_stores_interleaved_on_one_pooled_connection_never_mix(app, make_store):
    a, b = make_store(), make_store()
    extra_a = add_staff(app, a)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    with app.app_context():
        store_a, store_b = db.session.get(Store, a.id), db.session.get(Store, b.id)
    seen = {a.slug: set(), b.slug: set()}
    connections = set()
    with Session(engine) as session:
        for _ in range(3):
            for store in (store_a, store_b):
                token = bind_store(store, session)
                try:
                    seen[store.slug] |= set(session.scalars(select(StaffUser.email)).all())
                    connections.add(id(session.connection().connection.dbapi_connection))
                    session.commit()
                finally:
                    unbind_store(token)
    assert seen[a.slug] == {a.owner_email, extra_a}
    assert seen[b.slug] == {b.owner_email}
    assert len(connections) == 1
    engine.dispose()


def test_switching_store_forgets_the_other_stores_objects(app, make_store):
    a, b = make_store(), make_store()
    with app.app_context():
        store_a, store_b = db.session.get(Store, a.id), db.session.get(Store, b.id)
        with store_context(store_a):
            owner_a = db.session.get(StaffUser, 1)
            assert owner_a.email == a.owner_email
        db.session.commit()
        with store_context(store_b):
            # same primary key, other store: must not come from the identity map
            assert db.session.get(StaffUser, 1).email == b.owner_email
