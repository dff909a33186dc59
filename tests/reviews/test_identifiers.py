"""No personal identifiers: NHS-number-shaped text is refused by its check
digit, however it is written, and ten digits that fail the check pass."""

import pytest
from django.core.exceptions import ValidationError

from reviews.identifiers import nhs_number_is_valid, nhs_numbers_in, refuse_nhs_numbers


@pytest.mark.parametrize(
    "text",
    [
        "9434765919",
        "943 476 5919",
        "943-476-5919",
        "Seen under 943 476 5919 in March",
        "ref 12 943 476 5919",
        "4010232137",  # check digit 0 (11 - remainder 0)
    ],
)
def test_a_valid_nhs_number_is_refused_however_it_is_written(text):
    assert nhs_numbers_in(text)
    with pytest.raises(ValidationError, match="Remove the NHS number"):
        refuse_nhs_numbers(text)


@pytest.mark.parametrize(
    "text",
    [
        "9434765918",  # wrong check digit
        "943 476 5918",
        "943-476-5910",
        "2025/12345",  # a StEIS number
        "020 7946 0958",  # eleven digits: a phone number
        "19434765919",  # eleven digits with a valid NHS number inside, unseparated
        "Panel met on 12 03 2026",
        "",
    ],
)
def test_ten_digits_with_a_wrong_check_digit_and_other_numbers_pass(text):
    assert nhs_numbers_in(text) == []
    refuse_nhs_numbers(text)


def test_a_check_digit_of_ten_is_never_valid():
    # 100000006: 10*1 + 2*6 = 22, remainder 0, check 11 → written 0.
    assert nhs_number_is_valid("1000000060")
    # 100000001: 10*1 + 2*1 = 12, remainder 1, check 10: no NHS number starts so.
    assert not any(nhs_number_is_valid(f"100000001{d}") for d in "0123456789")


def test_the_message_says_which_text_to_remove():
    with pytest.raises(ValidationError) as error:
        refuse_nhs_numbers("about 943-476-5919.")
    assert "943-476-5919" in error.value.messages[0]
