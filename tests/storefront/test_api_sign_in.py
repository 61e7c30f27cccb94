"""The API sign-in (POST auth/token) counts wrong passwords per account, like the web sign-in."""
from tests.conftest import PASSWORD


def test_api_sign_in_is_limited_per_account(app, client, store):
    base = f"/api/v1/shop/{store.slug}"
    victim, bystander = f"victim@{store.slug}.cn", f"bystander@{store.slug}.cn"
    for email in (victim, bystander):
        assert client.post(f"{base}/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    limit = int(app.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    answers = [client.post(f"{base}/auth/token", json={"email": victim, "password": f"guess-{i}"}).status_code
               for i in range(limit + 3)]
    assert answers[:limit] == [401] * limit and set(answers[limit:]) == {429}
    # the right password does not get through while the account is locked, and the answer is the API's error body
    locked = client.post(f"{base}/auth/token", json={"email": victim.upper(), "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_attempts"
    # another account from the same address still signs in; good sign-ins do not count
    for _ in range(limit + 1):
        assert client.post(f"{base}/auth/token", json={"email": bystander, "password": PASSWORD}).status_code == 200
