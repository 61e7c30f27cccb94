"""Cross-border fixtures: a store that sells cross-border, SKUs with their customs data, payers."""
from __future__ import annotations

from tests import factories as f

PAYER = {"name": "李四", "id_number": "440305198511204563", "phone": "13900000000"}
OTHER_PAYER = {"name": "王五", "id_number": "110105198001010032"}
REGISTRATION = {"ebp_code": "3301964J31", "ebp_name": "后台跨境平台", "ebc_code": "3301964J32",
                "ebc_name": "后台跨境商贸有限公司", "pay_code": "31222699S7", "pay_name": "示例支付有限公司",
                "logistics_code": "3120980105", "logistics_name": "示例国际物流有限公司", "dxp_id": "DXPENT0000012148"}


def sell_cross_border(store) -> None:
    from app.blueprints.crossborder import services

    with f.bound(store, request=True):
        services.save_settings(None, True, REGISTRATION)


def customs_sku(store, price: int, *, consumption_bp: int = 0, duty_bp: int = 0, stock: int = 20,
                hs_code: str = "3304990000", origin: str = "116", declared_value: int | None = None):
    """The one SKU of a new product on sale with stock, with its customs data."""
    from app.blueprints.catalog import services
    from app.blueprints.catalog.models import Sku

    sku = f.sku(store, price=price, stock=stock)
    with f.bound(store, request=True) as session:
        services.set_sku_customs(None, session.get(Sku, sku.id), hs_code=hs_code, origin_country=origin,
                                 declared_value=declared_value, consumption_tax_bp=consumption_bp, duty_bp=duty_bp)
    return sku
