"""The shared form template (templates/_form.html) renders a text area as one, with its
limit, so people can write a paragraph (a goal's description, a comment, a reason)."""

from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    title = forms.CharField(max_length=20)
    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


def test_a_text_area_is_rendered_as_one_with_its_limit_and_value_escaped():
    html = render_to_string("_form.html", {"form": _Form({"title": "t", "text": "<b>x</b>"})})
    assert '<textarea name="text" id="id_text" rows="4"' in html
    assert 'maxlength="2000"' in html
    assert "&lt;b&gt;x&lt;/b&gt;</textarea>" in html
    assert '<input type="text" name="title"' in html
