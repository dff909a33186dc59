"""Forms of the national admin's user pages. They only check what was typed;
the services decide."""

from django import forms

from organisations.choices import Role
from saaf.nhs_forms import PortalForm


class UserEmailForm(forms.Form):
    email = forms.EmailField(
        label="New email address",
        max_length=254,
        help_text="The address they sign in with. They are told at the old and the new address.",
        error_messages={
            "required": "Enter the new email address.",
            "invalid": "Enter an email address like name@example.nhs.uk.",
            "max_length": "The email address must be 254 characters or fewer.",
        },
    )


class MfaResetForm(forms.Form):
    reason = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=500,
        help_text="For example: lost their phone. Kept in the audit trail.",
        error_messages={"max_length": "The reason must be 500 characters or fewer."},
    )


class MembershipGrantForm(forms.Form):
    organisation = forms.CharField(
        label="Organisation code",
        max_length=20,
        help_text="The ODS code of the ICB or region, or X24 for NHS England.",
        error_messages={
            "required": "Enter the organisation's code.",
            "max_length": "An organisation code is 20 characters or fewer.",
        },
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        error_messages={"required": "Choose a role.", "invalid_choice": "Choose a role."},
    )


class ApiTokenForm(PortalForm):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="The system that will use it, for example: our assurance dashboard.",
        error_messages={
            "required": "Name the token after the system that will use it.",
            "max_length": "Keep the name to 100 characters or fewer.",
        },
    )
    days = forms.IntegerField(
        label="Days until it expires",
        min_value=1,
        max_value=365,
        initial=90,
        help_text="From 1 to 365. Make a new token before this one expires.",
        error_messages={
            "required": "Enter how many days the token lasts, from 1 to 365.",
            "invalid": "Enter how many days the token lasts as a number, like 90.",
            "min_value": "A token lasts at least 1 day.",
            "max_value": "A token lasts at most 365 days.",
        },
    )
