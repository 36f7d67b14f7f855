"""Secrets at rest (perfhub/secrets.py): encrypted in the column, plain in Python, keys
rotated by order, a wrong key refused with a clear error."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from perfhub import secrets


def test_round_trip_and_the_stored_text_is_not_the_secret(settings):
    settings.PERFHUB_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = secrets.encrypt("SECa1b2c3")
    assert "SECa1b2c3" not in token
    assert secrets.decrypt(token) == "SECa1b2c3"
    field = secrets.EncryptedTextField()
    stored = field.get_prep_value("SECa1b2c3")
    assert stored != "SECa1b2c3"
    assert field.from_db_value(stored, None, None) == "SECa1b2c3"
    assert field.get_prep_value("") == ""
    assert field.from_db_value("", None, None) == ""


def test_rotation_new_key_first_old_key_still_reads(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERFHUB_ENCRYPTION_KEYS = [old]
    token = secrets.encrypt("robot-secret")
    settings.PERFHUB_ENCRYPTION_KEYS = [new, old]
    assert secrets.decrypt(token) == "robot-secret"
    settings.PERFHUB_ENCRYPTION_KEYS = [new]
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        secrets.decrypt(token)


def test_malformed_key_is_named(settings):
    settings.PERFHUB_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="PERFHUB_ENCRYPTION_KEYS"):
        secrets.encrypt("x")


def test_deploy_check_warns_without_keys(settings):
    settings.PERFHUB_ENCRYPTION_KEYS = []
    assert [w.id for w in secrets.check_encryption_keys()] == ["perfhub.W010"]
    settings.PERFHUB_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert secrets.check_encryption_keys() == []
