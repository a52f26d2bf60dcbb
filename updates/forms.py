"""Forms of updates (the back office's editor) and of the failed-email view's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import ProblemStatus
from .services import UpdateText

MARKDOWN_HELP = _(
    "Markdown: a blank line between paragraphs, *italics*, **bold**, [link text](https://…), "
    "“- ” at the start of a line for a list, “## ” for a heading, “> ” for a quotation."
)


class UpdateForm(forms.Form):
    """Title and text in English and French. A draft may lack a language; sending needs both."""

    title_en = forms.CharField(label=_("Title in English"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text in English"),
        max_length=20_000,
        required=False,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    title_fr = forms.CharField(label=_("Title in French"), max_length=200, required=False)
    body_fr = forms.CharField(
        label=_("Text in French"),
        max_length=20_000,
        required=False,
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": 14}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["lang"] = name.rsplit("_", 1)[1]
            field.widget.attrs["spellcheck"] = "true"

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("title_en", "").strip() or data.get("title_fr", "").strip()):
            raise forms.ValidationError(
                _("Give the update a title, in English or in French."), code="no_title"
            )
        return data

    def text(self) -> UpdateText:
        """The typed text (call after ``is_valid()``)."""
        return UpdateText(
            title_en=self.cleaned_data["title_en"],
            title_fr=self.cleaned_data["title_fr"],
            body_en=self.cleaned_data["body_en"],
            body_fr=self.cleaned_data["body_fr"],
        )


STATUS_CHOICES = [
    (ProblemStatus.ALL, _("Failed or being retried")),
    (ProblemStatus.FAILED, _("Failed")),
    (ProblemStatus.RETRYING, _("Being retried after an error")),
    (ProblemStatus.CANCELLED, _("Cancelled")),
]


class ProblemEmailFilterForm(forms.Form):
    """The filters above the failed-email list (GET); an invalid field is ignored."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    kind = forms.ChoiceField(label=_("Kind of message"), required=False)
    recipient = forms.EmailField(label=_("Recipient's address"), required=False)

    def __init__(self, *args, kinds: list[str], can_see_recipients: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any"))] + [(kind, kind) for kind in kinds]
        if not can_see_recipients:
            del self.fields["recipient"]

    def filters(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "recipient": data.get("recipient") or "",
        }
