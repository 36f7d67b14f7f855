"""The pages of departments/views.py × every role: allowed, 403 for a wrong role, 404 for
outsiders."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ALL = {"admin", "hr", "manager", "executive"}
PAGES = [
    # (url name, extra kwargs factory, roles allowed)
    ("department_tree", None, ALL),
    ("department_create", None, {"admin", "hr"}),
    ("department_edit", "sales", {"admin", "hr"}),
    ("member_list", None, {"admin"}),
    ("org_settings", None, {"admin"}),
]


def _url(name, arg, org, sales):
    kwargs = {"slug": org.slug}
    if arg == "sales":
        kwargs["pk"] = sales.pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name,arg,allowed", PAGES)
@pytest.mark.parametrize("role", ["admin", "hr", "manager", "executive", "outsider"])
def test_page_role_matrix(client, role_users, org, sales, name, arg, allowed, role):
    client.force_login(role_users[role])
    response = client.get(_url(name, arg, org, sales))
    if role == "outsider":
        assert response.status_code == 404
    elif role in allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_anonymous_is_sent_to_sign_in(client, org):
    response = client.get(reverse("org_home", kwargs={"slug": org.slug}))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_org_and_foreign_org_answer_the_same(client, outsider, org):
    client.force_login(outsider)
    assert client.get("/o/no-such-org/").status_code == 404
    assert client.get(f"/o/{org.slug}/").status_code == 404


def test_outsider_cannot_edit_department_of_other_org(client, outsider, org, sales):
    client.force_login(outsider)
    url = reverse("department_edit", kwargs={"slug": org.slug, "pk": sales.pk})
    assert client.post(url, {"name": "hacked"}).status_code == 404
    sales.refresh_from_db()
    assert sales.name == "销售部"


def test_foreign_department_id_in_own_org_url_is_404(client, admin, org, other_org):
    from tests.factories import make_department

    foreign = make_department(other_org, code="x")
    client.force_login(admin)
    url = reverse("department_edit", kwargs={"slug": org.slug, "pk": foreign.pk})
    assert client.get(url).status_code == 404


def test_hr_creates_department_under_parent(client, hr, org, sales):
    client.force_login(hr)
    response = client.post(
        reverse("department_create", kwargs={"slug": org.slug}),
        {
            "name": "华南销售组",
            "name_en": "South Sales",
            "code": "sales-south",
            "kind": "business",
            "function": "sales",
            "parent": sales.pk,
            "weight_in_parent": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    tree = client.get(reverse("department_tree", kwargs={"slug": org.slug}))
    assert "华南销售组" in tree.content.decode() or "South Sales" in tree.content.decode()


def test_cycle_refused_in_form_beside_parent_field(client, hr, org, sales):
    from tests.factories import make_department

    child = make_department(org, code="east", parent=sales)
    client.force_login(hr)
    response = client.post(
        reverse("department_edit", kwargs={"slug": org.slug, "pk": sales.pk}),
        {
            "name": "Sales",
            "code": "sales",
            "kind": "business",
            "function": "sales",
            "parent": child.pk,
            "weight_in_parent": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "cycle" in str(response.context["form"].errors["parent"])
    sales.refresh_from_db()
    assert sales.parent_id is None


def test_org_language_is_default_and_switch_wins(client, admin, org):
    org.language = "zh-hans"
    org.save()
    client.force_login(admin)
    page = client.get(reverse("department_tree", kwargs={"slug": org.slug})).content.decode()
    assert "部门" in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("department_tree", kwargs={"slug": org.slug})).content.decode()
    assert "Departments" in page


def test_department_tree_query_count_is_fixed(client, admin, org, django_assert_max_num_queries):
    from tests.factories import make_department

    client.force_login(admin)
    url = reverse("department_tree", kwargs={"slug": org.slug})
    for i in range(3):
        make_department(org, code=f"d{i}")
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for i in range(3, 40):
        make_department(org, code=f"d{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
