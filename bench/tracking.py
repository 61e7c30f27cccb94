"""Tracking pushes applied per second: Kuaidi100 pushes through the whole WSGI stack (form
parsing, store binding, MD5 signature check, row lock, one insert per scan, state move, the
outbox event of a signature, commit, the JSON answer), one push after another as Kuaidi100
sends them. In the same run, two baselines on the same endpoint: the same pushes again (all
scans already stored: verification and the duplicate check only) and pushes with a bad
signature (refused before any shipment is read).

    python -m bench.tracking [N]
"""
from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone

from bench.common import bench_app, cleanup, store_with_stock, summary

BEIJING = timezone(timedelta(hours=8))


def _setup(app, n: int):
    from app.blueprints.logistics import accounts, services as logistics
    from app.blueprints.orders import services as orders
    from app.core.secrets import unseal
    from app.core.tenancy import store_context
    from app.extensions import db

    bound, (sku_id,), _warehouses = store_with_stock(app, "trk")
    with app.test_request_context(), store_context(bound):
        order = orders.place_order([orders.LineRequest(sku_id, 1)],
                                   {"name": "b", "phone": "1", "city": "c", "street": "s"}, shopper={"name": "b"})
        accounts.save_account(None, "kuaidi100", True, {"customer": "BENCH", "key": "bench-key-0123456789"})
        waybills = []
        for i in range(n):
            s = logistics.create_shipment(None, notice_id=i + 1, notice_number=f"DN{i + 1}", order_id=order.id,
                                          order_number=order.number, carrier_code="zhongtong",
                                          waybill_no=f"7310{i:010d}")
            waybills.append(s.waybill_no)
        db.session.commit()
        salt = unseal(accounts.account("kuaidi100").sealed)["salt"]
    return bound, waybills, salt


def _push(number: str, salt: str, scans: int = 3, signed: bool = True, bad: bool = False) -> dict:
    from app.blueprints.logistics.adapters.kuaidi100 import push_sign

    start = datetime(2026, 11, 30, 8, 0, tzinfo=BEIJING)
    codes = ["1"] + ["0"] * (scans - 2) + (["3"] if signed else ["5"])
    rows = [{"time": (start + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S"),
             "ftime": (start + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S"),
             "context": f"【上海市】第 {i + 1} 站", "status": "在途", "statusCode": code, "areaName": "上海市"}
            for i, code in enumerate(codes)][::-1]
    param = json.dumps({"status": "polling", "message": "", "lastResult": {
        "message": "ok", "state": codes[-1], "status": "200", "condition": "F00", "ischeck": "1" if signed else "0",
        "com": "zhongtong", "nu": number, "data": rows}}, ensure_ascii=False, separators=(",", ":"))
    return {"param": param, "sign": push_sign(param, "wrong" if bad else salt)}


def _run(client, url, forms) -> tuple[float, list[float]]:
    each = []
    started = time.perf_counter()
    for form in forms:
        t = time.perf_counter()
        answer = client.post(url, data=form)
        each.append(time.perf_counter() - t)
        assert answer.status_code == 200, answer.status_code
    return time.perf_counter() - started, each


def main(n: int = 300) -> None:
    app, instance = bench_app()
    try:
        bound, waybills, salt = _setup(app, n)
        client = app.test_client()
        url = f"/carrier/{bound.slug}/kuaidi100/push"
        first = [_push(w, salt) for w in waybills]
        bad = [_push(w, salt, bad=True) for w in waybills]
        client.post(url, data=bad[0])                                   # warm the app up
        took_bad, each_bad = _run(client, url, bad)
        took_new, each_new = _run(client, url, first)
        took_dup, each_dup = _run(client, url, first)
        from sqlalchemy import func, select

        from app.blueprints.logistics.models import Shipment, TrackingEvent
        from app.core.tenancy import store_context
        from app.extensions import db

        with app.app_context(), store_context(bound):
            signed = db.session.scalar(select(func.count()).select_from(Shipment).where(Shipment.status == "signed"))
            events = db.session.scalar(select(func.count()).select_from(TrackingEvent))
            db.session.rollback()
        assert signed == n and events == 3 * n, (signed, events)
        print(f"tracking pushes applied (3 new scans each, shipment signed): {n / took_new:.0f} pushes/s, "
              f"{3 * n / took_new:.0f} scans/s")
        print(summary("  applied", each_new))
        print(f"baseline, the same pushes again (nothing new): {n / took_dup:.0f} pushes/s")
        print(summary("  duplicate", each_dup))
        print(f"baseline, bad signature (refused, logged): {n / took_bad:.0f} pushes/s")
        print(summary("  refused", each_bad))
    finally:
        cleanup(instance)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
