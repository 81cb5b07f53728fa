"""Secret redaction for the opt-in content text."""

from __future__ import annotations

import pytest

from hookpact.audit.redact import redact


@pytest.mark.parametrize(("text", "secret", "kind"), [
    ("key=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv", "anthropic-key"),
    ("OPENAI sk-proj-1234567890abcdefghij", "sk-proj-1234567890abcdefghij", "api-key"),
    ("token ghp_0123456789abcdefghijABCDEFGHIJ012345", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "github-token"),
    ("AKIAIOSFODNN7EXAMPLE in env", "AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
    ("slack xoxb-123456789012-abcdefghij", "xoxb-123456789012-abcdefghij", "slack-token"),
    ("Authorization: Bearer abc.def-ghi_jkl=", "abc.def-ghi_jkl=", "bearer"),
    ("git clone https://alice:hunter22@example.com/r.git", "hunter22", "url-password"),
    ("postgres://app:s3cr3t@db:5432/x", "s3cr3t", "url-password"),
    ('password = "correct horse"', "correct horse", "assignment"),
    ("DB_PASSWORD=hunter2 ./run", "hunter2", "assignment"),
    ("export API_KEY='abc123xyz'", "abc123xyz", "assignment"),
    ('{"client_secret": "shh-1234"}', "shh-1234", "assignment"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow", "private-key"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.SflKxwRJSMeKKF2QT4fwpM", "SflKxwRJSMeKKF2QT4fwpM", "jwt"),
])
def test_secrets_are_redacted(text: str, secret: str, kind: str) -> None:
    out = redact(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out


@pytest.mark.parametrize("text", ["print('hello')", "ls -la src/", "the password field is required",
                                  "https://example.com/path", "x = 1"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text
