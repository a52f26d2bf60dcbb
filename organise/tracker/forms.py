"""The tracker's back-office forms: companies (with the logo upload), drafts of a company's
position with their sources, deals, extra criteria. Addresses are checked by
``tracker.safeurls`` (http(s) only, no credentials)."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker import logos
from tracker.models import Company, Criterion, Deal, Status
from tracker.safeurls import validate_public_url
from tracker.services import SourceData

SOURCE_ROWS = 3


class CompanyForm(forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, 2 MB at most; redrawn as a small PNG."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Company
        fields = ["name", "slug", "kind", "website", "contact_email"]

    def clean_logo(self) -> bytes | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > logos.MAX_UPLOAD_BYTES:
            raise ValidationError(_("The logo file is too large (2 MB at most)."))
        data = upload.read()
        logos.reencode(data)  # refuses anything that is not a picture, with its message
        return data


class SourceForm(forms.Form):
    url = forms.CharField(
        label=_("Address"), max_length=500, validators=[validate_public_url], widget=forms.URLInput
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    published_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    archive_url = forms.CharField(
        label=_("Archived copy"),
        max_length=500,
        required=False,
        validators=[validate_public_url],
        widget=forms.URLInput,
    )

    def data_object(self) -> SourceData:
        data = self.cleaned_data
        return SourceData(
            url=data["url"],
            title=data["title"],
            published_on=data["published_on"],
            archive_url=data.get("archive_url") or "",
        )


SourceFormSet = forms.formset_factory(SourceForm, extra=SOURCE_ROWS, max_num=10)


def sources_of(formset) -> list[SourceData]:
    return [f.data_object() for f in formset.forms if f.has_changed() and f.cleaned_data]


class RevisionForm(forms.Form):
    criterion = forms.ModelChoiceField(label=_("Demand"), queryset=Criterion.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    summary_en = forms.CharField(
        label=_("Summary in English"), max_length=800, widget=forms.Textarea(attrs={"rows": 4})
    )
    summary_fr = forms.CharField(
        label=_("Summary in French"),
        max_length=800,
        required=False,
        help_text=_("Needed before publishing."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    happened_on = forms.DateField(
        label=_("Date of the change"),
        initial=datetime.date.today,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = Criterion.objects.filter(is_active=True)


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the author"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class DealForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = [
            "slug",
            "title_en",
            "title_fr",
            "licensed_en",
            "licensed_fr",
            "announced_on",
            "companies",
            "other_parties",
        ]
        widgets = {
            "announced_on": forms.DateInput(attrs={"type": "date"}),
            "companies": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].queryset = Company.objects.defer("logo_png")
        self.fields["title_en"].required = True
        self.fields["licensed_en"].required = True


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = [
            "code",
            "title_en",
            "title_fr",
            "description_en",
            "description_fr",
            "position",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_core:
            for name in ("code", "is_active"):
                self.fields[name].disabled = True
