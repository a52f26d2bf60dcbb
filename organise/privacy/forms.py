"""Forms of the privacy requests page: find a person by address, export, erase."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from signatures.services import privacy

REASON_HELP = _(
    "How and when the person asked, for the audit trail. Leave out their name and address: "
    "this text is kept for good."
)


class FindPersonForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the person who asked"),
        help_text=_("The exact address they signed with; it is not kept anywhere."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class _RequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=REASON_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why: for example, how and when the request came.")},
    )

    def __init__(self, *args, supporter, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.supporter = supporter

    def clean_reason(self) -> str:
        try:
            return privacy.check_reason(
                supporter=self.supporter, reason=self.cleaned_data["reason"]
            )
        except privacy.PrivacyRequestError as error:
            raise ValidationError(error.message, code="reason") from None


class ExportForm(_RequestForm):
    prefix = "export"


class EraseForm(_RequestForm):
    prefix = "erase"

    KEEP = "keep"
    WITHDRAW = "withdraw"
    signature = forms.ChoiceField(
        label=_("Their signature"),
        choices=[
            (KEEP, _("Keep it in the count as an anonymous mark (they still support the appeal)")),
            (WITHDRAW, _("Withdraw it too: the public count goes down")),
        ],
        initial=KEEP,
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_(
            "I have checked that the request comes from this person, and I understand "
            "that erasure cannot be undone."
        )
    )

    @property
    def keep_count(self) -> bool:
        return self.cleaned_data["signature"] == self.KEEP
