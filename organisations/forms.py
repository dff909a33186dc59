"""Forms of the national admin's user pages. They only check what was typed;
the services decide."""

from django import forms

from organisations.choices import Role


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
