"""Going on- or offline sends the agent back to the page they came from, and only to a page
of this store (`//evil.example` starts with a slash too)."""
from tests import factories as f


def test_presence_goes_back_only_to_a_page_of_this_store(store):
    email = f.staff(store, "customer_service").email
    agent = f.client("store", email, store=store)
    tickets = f"/store/{store.slug}/service/tickets"
    response = agent.form(f"/store/{store.slug}/service/presence", {"online": "1", "next": tickets})
    assert response.status_code == 303 and response.headers["Location"].endswith(tickets)
    for evil in ("//evil.example/x", "https://evil.example/x", f"/store/{store.slug}x/../../elsewhere"):
        response = agent.form(f"/store/{store.slug}/service/presence", {"online": "0", "next": evil})
        assert response.status_code == 303
        assert "evil" not in response.headers["Location"] and "elsewhere" not in response.headers["Location"]
