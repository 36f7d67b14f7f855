"""perfhub_tags: the options built in Python mark exactly the current choice and escape
every label."""

from django import forms

from perfhub.templatetags.perfhub_tags import compact_json_script, select_options


class _Form(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All"), ("management", "Management"), ("business", "<b>Business</b>")],
        required=False,
    )


def test_select_options_marks_the_bound_value_and_escapes_labels():
    html = str(select_options(_Form({"kind": "business"})["kind"]))
    assert '<option value="business" selected>&lt;b&gt;Business&lt;/b&gt;</option>' in html
    assert html.count(" selected") == 1
    assert '<option value="">All</option>' in html


def test_select_options_of_an_unbound_form_marks_the_initial_value():
    html = str(select_options(_Form(initial={"kind": "management"})["kind"]))
    assert '<option value="management" selected>' in html and html.count(" selected") == 1
    empty = str(select_options(_Form()["kind"]))
    assert '<option value="" selected>All</option>' in empty


def test_compact_json_script_has_no_spaces_and_escapes_markup():
    html = str(compact_json_script({"a": [1, 2], "b": "</script>"}, "data"))
    assert html == (
        '<script id="data" type="application/json">{"a":[1,2],"b":"\\u003C/script\\u003E"}</script>'
    )
