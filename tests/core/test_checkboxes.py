"""templates/includes/checkboxes.html: the one way a checkbox list is drawn (DKFDS fieldset),
used by the concern form, a session item's attendees and every form drawn by field.html."""

from __future__ import annotations

from django import forms
from django.template.loader import render_to_string


class Choice(forms.Form):
    picked = forms.MultipleChoiceField(
        label="Vælg", choices=[("a", "Alfa"), ("b", "Beta")], widget=forms.CheckboxSelectMultiple
    )
    nothing = forms.MultipleChoiceField(
        label="Intet", choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )


def test_a_checkbox_list_is_a_fieldset_of_design_system_checkboxes_through_field_html():
    form = Choice(data={"picked": ["b"]})
    html = render_to_string("includes/field.html", {"field": form["picked"]})
    assert '<legend class="form-label">Vælg</legend>' in html
    assert html.count('class="form-checkbox"') == 2
    assert 'value="b" id="id_picked_1" checked' in html and 'value="a" id="id_picked_0">' in html


def test_an_empty_list_says_so_in_the_callers_words_or_the_default():
    form = Choice()
    default = render_to_string("includes/checkboxes.html", {"field": form["nothing"]})
    assert "Der er intet at vælge." in default and "(frivilligt)" in default
    own = render_to_string(
        "includes/checkboxes.html", {"field": form["nothing"], "empty_text": "Ingen medlemmer."}
    )
    assert "Ingen medlemmer." in own and "Der er intet at vælge." not in own
