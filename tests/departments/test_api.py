import pytest

pytestmark = pytest.mark.django_db


def test_token_auth(api, admin, org):
    response = api().post(
        "/api/v1/auth/token/", {"username": admin.username, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/orgs/").json()["results"][0]["slug"] == org.slug


def test_orgs_list_only_callers_and_create_makes_admin(api, admin, org, other_org, outsider):
    body = api(admin).get("/api/v1/orgs/").json()
    assert body["count"] == 1 and body["results"][0]["role"] == "admin"
    assert {"count", "next", "previous", "results"} <= set(body)
    response = api(admin).post("/api/v1/orgs/", {"name": "New Co", "slug": "newco"})
    assert response.status_code == 201 and response.json()["role"] == "admin"
    response = api(admin).post("/api/v1/orgs/", {"name": "Dup", "slug": "newco"})
    assert response.status_code == 400 and "slug" in response.json()


ENDPOINTS = [
    # (method, path, payload, roles allowed)
    ("get", "departments/", None, {"admin", "hr", "manager", "executive"}),
    (
        "post",
        "departments/",
        {"name": "X", "code": "x", "kind": "business", "function": "sales"},
        {"admin", "hr"},
    ),
    ("get", "departments/{sales}/", None, {"admin", "hr", "manager", "executive"}),
    ("patch", "departments/{sales}/", {"name": "Renamed"}, {"admin", "hr"}),
    ("get", "members/", None, {"admin", "hr"}),
    ("get", "invitations/", None, {"admin"}),
    ("post", "invitations/", {"email": "new1@example.com", "role": "hr"}, {"admin"}),
    ("get", "", None, {"admin", "hr", "manager", "executive"}),
    ("patch", "", {"amber_line": "75"}, {"admin"}),
]


@pytest.mark.parametrize("method,path,payload,allowed", ENDPOINTS)
@pytest.mark.parametrize("role", ["admin", "hr", "manager", "executive", "outsider"])
def test_api_role_matrix(api, role_users, org, sales, method, path, payload, allowed, role):
    url = f"/api/v1/orgs/{org.slug}/" + path.format(sales=sales.pk)
    response = getattr(api(role_users[role]), method)(url, payload, format="json")
    if role == "outsider":
        assert response.status_code == 404
    elif role in allowed:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403


def test_member_endpoints_role_matrix_on_detail(api, role_users, org):
    membership_id = (
        api(role_users["admin"]).get(f"/api/v1/orgs/{org.slug}/members/").json()["results"][0]["id"]
    )
    url = f"/api/v1/orgs/{org.slug}/members/{membership_id}/"
    assert api(role_users["outsider"]).get(url).status_code == 404
    assert api(role_users["manager"]).get(url).status_code == 403
    assert api(role_users["hr"]).patch(url, {"role": "hr"}, format="json").status_code == 403


def test_last_admin_cannot_be_demoted(api, admin, org):
    mid = api(admin).get(f"/api/v1/orgs/{org.slug}/members/").json()["results"][0]["id"]
    response = api(admin).patch(
        f"/api/v1/orgs/{org.slug}/members/{mid}/", {"role": "hr"}, format="json"
    )
    assert response.status_code == 400 and "role" in response.json()


def test_api_refuses_cycle_and_foreign_parent(api, admin, org, other_org, sales):
    from tests.factories import make_department

    east = make_department(org, code="east", parent=sales)
    foreign = make_department(other_org, code="foreign")
    base = f"/api/v1/orgs/{org.slug}/departments/"
    response = api(admin).patch(f"{base}{sales.pk}/", {"parent": east.pk}, format="json")
    assert response.status_code == 400 and "cycle" in str(response.json()["parent"])
    response = api(admin).post(
        base,
        {"name": "Y", "code": "y", "kind": "business", "function": "sales", "parent": foreign.pk},
        format="json",
    )
    assert response.status_code == 400 and "parent" in response.json()
    # Same answer as an id that does not exist at all.
    missing = api(admin).post(
        base,
        {"name": "Y", "code": "y", "kind": "business", "function": "sales", "parent": 999999},
        format="json",
    )
    assert missing.json()["parent"] == response.json()["parent"]


def test_department_list_queries_fixed(api, admin, org, django_assert_max_num_queries):
    from tests.factories import make_department

    client = api(admin)
    url = f"/api/v1/orgs/{org.slug}/departments/"
    for i in range(3):
        make_department(org, code=f"d{i}")
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for i in range(3, 40):
        make_department(org, code=f"d{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).json()["count"] == 40


def test_bad_input_gets_field_messages_not_500(api, admin, org):
    response = api(admin).post(
        f"/api/v1/orgs/{org.slug}/departments/",
        {"name": "", "code": "bad code", "kind": "x", "function": 5, "weight_in_parent": "NaN"},
        format="json",
    )
    assert response.status_code == 400
    assert {"name", "code", "kind", "function", "weight_in_parent"} <= set(response.json())


def test_schema_and_docs_served(api, admin):
    assert api(admin).get("/api/v1/schema/").status_code == 200
    assert api(admin).get("/api/v1/docs/").status_code == 200


def test_api_messages_follow_accept_language_else_the_org_language(api, admin, org):
    org.language = "zh-hans"
    org.save()
    client = api(admin)
    url = f"/api/v1/orgs/{org.slug}/departments/"
    english = client.post(url, {"name": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "This field may not be blank." in str(english.json())
    chinese = client.post(url, {"name": ""}, format="json")
    assert "This field may not be blank." not in str(chinese.json())


def test_unknown_org_answers_like_a_missing_object(api, admin):
    response = api(admin).get("/api/v1/orgs/no-such-org/departments/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_a_manager_named_twice_is_one_manager(api, admin, hr, org):
    """Found by the API fuzzing: `"managers": [id, id]` answered 500 (duplicate row)."""
    response = api(admin).post(
        f"/api/v1/orgs/{org.slug}/departments/",
        {
            "name": "质量部",
            "code": "qa",
            "kind": "business",
            "function": "other",
            "managers": [hr.pk, hr.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["managers"] == [hr.pk]


def test_a_huge_offset_gives_an_empty_page(api, admin, org):
    """Found by the API fuzzing: an offset past PostgreSQL's bigint answered 500."""
    response = api(admin).get(f"/api/v1/orgs/{org.slug}/members/", {"offset": 10**20})
    assert response.status_code == 200
    assert response.json()["results"] == []
    many = api(admin).get(f"/api/v1/orgs/{org.slug}/members/", {"limit": 10**20})
    assert many.status_code == 200
