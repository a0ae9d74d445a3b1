"""Twilio's webhook signature: HMAC-SHA1 of the URL and the sorted POST params, in base64."""

from onboarding_kit.twilio_signature import signature_matches, twilio_signature

# The example of Twilio's "Webhooks security" documentation (TwilioDevEd/api-snippets,
# security/signature_validation).
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOC_SIGNATURE = "GvWf1cFY/Q7PnoempGyD5oXAezc="

CALLBACK_URL = "https://notification.example.org/sms/status"
CALLBACK = {
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "MessageStatus": "delivered",
    "To": "+447700900123",
}


def test_the_documented_example_is_signed_as_twilio_signs_it() -> None:
    assert twilio_signature(DOC_TOKEN, DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert signature_matches(DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


def test_params_are_signed_in_the_order_of_their_names_not_as_given() -> None:
    reversed_params = dict(reversed(list(DOC_PARAMS.items())))
    assert twilio_signature(DOC_TOKEN, DOC_URL, reversed_params) == DOC_SIGNATURE


def test_a_request_without_params_signs_the_url_alone() -> None:
    assert twilio_signature("t", CALLBACK_URL, {}) != twilio_signature("t", CALLBACK_URL, CALLBACK)
    assert signature_matches("t", CALLBACK_URL, {}, twilio_signature("t", CALLBACK_URL, {}))


def test_a_tampered_param_does_not_match() -> None:
    signature = twilio_signature("token", CALLBACK_URL, CALLBACK)
    tampered = {**CALLBACK, "MessageStatus": "failed"}
    assert not signature_matches("token", CALLBACK_URL, tampered, signature)


def test_an_added_or_a_removed_param_does_not_match() -> None:
    signature = twilio_signature("token", CALLBACK_URL, CALLBACK)
    assert not signature_matches("token", CALLBACK_URL, {**CALLBACK, "ErrorCode": ""}, signature)
    without_to = {k: v for k, v in CALLBACK.items() if k != "To"}
    assert not signature_matches("token", CALLBACK_URL, without_to, signature)


def test_another_url_does_not_match() -> None:
    signature = twilio_signature("token", CALLBACK_URL, CALLBACK)
    assert not signature_matches("token", CALLBACK_URL + "?x=1", CALLBACK, signature)
    other_host = CALLBACK_URL.replace("notification.example.org", "evil.example.org")
    assert not signature_matches("token", other_host, CALLBACK, signature)


def test_another_token_does_not_match() -> None:
    signature = twilio_signature("token", CALLBACK_URL, CALLBACK)
    assert not signature_matches("another-token", CALLBACK_URL, CALLBACK, signature)


def test_a_garbled_or_empty_signature_does_not_match() -> None:
    assert not signature_matches("token", CALLBACK_URL, CALLBACK, "")
    assert not signature_matches("token", CALLBACK_URL, CALLBACK, "not base64 at all ✗")
