"""The form that picks two versions of a return to compare."""

from __future__ import annotations

from django import forms

from saaf.nhs_forms import PortalForm

DRAFT = "draft"


class _VersionField(forms.ChoiceField):
    """A list of versions whose value the form checks itself, so a version
    that does not exist is answered in the return's words, not Django's."""

    def validate(self, value) -> None:
        if value in self.empty_values and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class VersionCompareForm(PortalForm):
    """From one submitted version to a later one, or to the current draft
    (offered while the return is a draft). Read from the query string."""

    def __init__(self, data=None, *, versions: list[int], draft: bool) -> None:
        super().__init__(data)
        self.versions, self.draft = versions, draft
        numbered = [(str(v), f"Version {v}") for v in versions]
        self.fields["from"] = _VersionField(
            label="From",
            choices=numbered,
            error_messages={"required": "Choose the version to compare from."},
        )
        self.fields["to"] = _VersionField(
            label="To",
            choices=numbered + ([(DRAFT, "Current draft")] if draft else []),
            error_messages={"required": "Choose the version to compare it with."},
        )

    def _version(self, name: str) -> int | str:
        value = self.cleaned_data[name].strip()
        if name == "to" and value == DRAFT:
            if not self.draft:
                raise forms.ValidationError(
                    f"There is no draft to compare with: the return is as version "
                    f"{self.versions[-1]} was submitted. Choose a version."
                )
            return DRAFT
        if not value.isdigit() or len(value) > 5:
            raise forms.ValidationError("Choose a version number from the list, such as 1.")
        if int(value) not in self.versions:
            last = self.versions[-1]
            has = "version 1" if last == 1 else f"versions 1 to {last}"
            raise forms.ValidationError(
                f"This return has no version {int(value)}: it has {has}. Choose one of those."
            )
        return int(value)

    def clean_from(self) -> int:
        return self._version("from")

    def clean_to(self) -> int | str:
        return self._version("to")

    def clean(self):
        data = super().clean()
        old, new = data.get("from"), data.get("to")
        if isinstance(old, int) and isinstance(new, int) and old >= new:
            self.add_error(
                "to",
                "Choose a later version in ‘To’ than in ‘From’: the differences read from the "
                "earlier version to the later one.",
            )
        return data
