"""The demo store has customer service to look at: queues, an inbox with an unread question,
tickets (one rated by the shopper), and the shopper's own messages page."""


def test_demo_seed_fills_the_service_center_and_the_shoppers_messages(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0          # once
    owner = app.test_client()
    owner.login("store", "owner@demo.houtai.cn", password="owner-password", slug="demo")
    inbox = owner.get("/store/demo/service/inbox").get_data(as_text=True)
    assert "王小明" in inbox and "XL" in inbox
    tickets = owner.get("/store/demo/service/tickets").get_data(as_text=True)
    assert "发票抬头修改" in tickets and tickets.count('name="ids"') >= 2 or tickets.count("/service/tickets/") >= 2
    assert "售后服务" in owner.get("/store/demo/service/queues").get_data(as_text=True)
    shopper = app.test_client()
    response = shopper.form("/shop/demo/login", {"email": "shopper@demo.houtai.cn", "password": "shopper-password"})
    assert response.status_code in (302, 303)
    hub = shopper.get("/shop/demo/service/").get_data(as_text=True)
    assert "★★★★★" in hub and "发票抬头修改" in hub
