"""Form helpers: DKFDS classes on widgets, service errors shown on the form, and choices
rendered from objects a page already has."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models


class DesignSystemFormMixin:
    """Give every widget its DKFDS class, so templates render fields with ``{{ field }}``."""

    CLASSES = {
        forms.Select: "form-select",
        forms.Textarea: "form-input",
        forms.CheckboxInput: "form-checkbox",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            css = next(
                (c for w, c in self.CLASSES.items() if isinstance(field.widget, w)), "form-input"
            )
            field.widget.attrs.setdefault("class", css)


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the matching fields (or on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def offer(field: forms.Field, objects: Sequence[models.Model]) -> None:
    """Render a model choice field's options from ``objects`` already read, instead of its
    queryset: a page that has the objects asks no second time. Validation still goes through
    the field's queryset (the permission filter), so what may be chosen is unchanged."""
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError("offer() takes a ModelChoiceField")
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *((obj.pk, field.label_from_instance(obj)) for obj in objects)]
