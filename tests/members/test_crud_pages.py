"""The member center's list and edit pages through the shared page test base: permission,
cross-store refusal, validation and a fixed number of queries per list page."""
from app.blueprints.members.models import Card, CardBatch, Level, Member, PointsEntry, Segment
from app.core.db import utcnow
from tests import factories as f
from tests.support.crud import StorePages


class TestMemberPages(StorePages):
    list_path = "members/"
    detail_path = "members/{id}"
    permission = "members.view"
    model = Member

    def make(self, store, i):
        level = f.level(store, f"lv{i}", threshold=100 + i, name=f"Level{i}")
        member = f.member(store, name=f"会员{i}")
        f.on_level(store, member, level)
        with f.bound(store, request=True):
            from app.blueprints.members import loyalty, services

            services.earn_points(member.id, 10 + i, order_id=i + 1)
            loyalty.record_order_paid(member.id, 1000 * i, utcnow())
        return member

    def shown(self, row):
        return row.email


class TestSegmentPages(StorePages):
    list_path = "members/segments"
    create_path = "members/segments/new"
    edit_path = "members/segments/{id}"
    permission = "members.manage"
    list_permission = "members.view"
    model = Segment
    form = {"name": "高消费", "min_spent": "500.00", "level": "", "blacklisted": "no"}
    bad_form = {"min_spent": "a lot"}

    def make(self, store, i):
        return f.segment(store, f"分群{i}", {"min_orders": str(i)})


class TestLevelPages(StorePages):
    create_path = "members/levels/new"
    edit_path = "members/levels/{id}"
    permission = "members.settings"
    model = Level
    form = {"code": "gold", "name": "金卡", "threshold": "5000", "discount_percent": "95", "points_multiplier": "150"}
    bad_form = {"discount_percent": "0"}

    def make(self, store, i):
        return f.level(store, f"lvl{i}", threshold=100_000 + 10 * i)

    def edit_data(self, row):
        return {**self.form, "code": row.code, "threshold": str(row.threshold)}


class TestPointsLedgerPages(StorePages):
    list_path = "members/points"
    permission = "members.view"
    model = PointsEntry

    def make(self, store, i):
        member = f.member(store)
        with f.bound(store, request=True):
            from app.blueprints.members import services

            return services.earn_points(member.id, 5 + i, order_id=10_000 + i)

    def shown(self, row):
        return str(row.id)


class TestCardBatchPages(StorePages):
    list_path = "members/cards"
    create_path = "members/cards/new"
    detail_path = "members/cards/{id}"
    permission = "members.cards"
    list_permission = "members.view"
    model = CardBatch
    form = {"name": "中秋礼品卡", "kind": "gift", "face_value": "100.00", "quantity": "5"}
    bad_form = {"face_value": "free"}

    def make(self, store, i):
        from app.blueprints.members import cards

        with f.bound(store, request=True):
            return cards.create_batch(None, f"批次{i}", "stored_value", 5000 + i, 2)


class TestBatchCardPages(StorePages):
    """The cards of one batch: a list keyed by its batch."""
    list_path = "members/cards/{parent}"
    permission = "members.view"
    model = Card
    parent_model = CardBatch

    def make_parent(self, store, n):
        from app.blueprints.members import cards

        with f.bound(store, request=True):
            return cards.create_batch(None, f.unique("批次"), "gift", 10_000, n)

    def make(self, store, i):
        from sqlalchemy import select

        batch = self.parent(store)
        return f.read(store, lambda: f.db_session().scalars(
            select(Card).where(Card.batch_id == batch.id).order_by(Card.id)).all()[i])
