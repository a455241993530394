"""HyScale's naming rules for apps, namespaces, services and profiles, with its messages."""

from __future__ import annotations

import re

from hyscale_tasks.errors import HyscaleError

APP_PATTERN = r"([a-z0-9-]){2,30}"
NAMESPACE_PATTERN = APP_PATTERN
SERVICE_PATTERN = r"[a-z]([-a-z0-9]*[a-z0-9])?"
PROFILE_PATTERN = r"([-a-zA-Z0-9]){2,30}"

_LENGTH_RULE = ("It must consist of lower case alphanumeric characters or '-', its length should be "
                "between 2 and 30.(regex used for validation is '([a-z0-9-]){2,30}')")


class InvalidNameError(HyscaleError):
    """A name given on the command line or in a variable that HyScale would refuse."""


def check_app(name: str) -> str:
    if not re.fullmatch(APP_PATTERN, name):
        raise InvalidNameError(f'Application name "{name}" is invalid. {_LENGTH_RULE}')
    return name


def check_namespace(name: str) -> str:
    if not re.fullmatch(NAMESPACE_PATTERN, name):
        raise InvalidNameError(f'Namespace "{name}" is invalid. {_LENGTH_RULE}')
    return name


def check_service(name: str) -> str:
    if not re.fullmatch(SERVICE_PATTERN, name):
        raise InvalidNameError(
            f'Service name "{name}" is invalid. A service name must consist of lower case '
            "alphanumeric characters or '-', start with an alphabetic character, and end with an "
            "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
            f"'{SERVICE_PATTERN}')")
    return name


def check_profile(name: str) -> str:
    # HyScale does not check -P at all; we hold it to the documented profile-name rule.
    if not re.fullmatch(PROFILE_PATTERN, name):
        raise InvalidNameError(
            f'Profile name "{name}" is invalid. It must consist of alphanumeric characters or '
            f"'-', its length should be between 2 and 30.(regex used for validation is "
            f"'{PROFILE_PATTERN}')")
    return name


def normalize(text: str) -> str:
    """Resource-name form (HyScale's NormalizationUtil): lower case, '.'/space runs to '-'."""
    return _strip(text.strip().lower())


def label_value(text: str) -> str:
    """Label-value form (ResourceLabelBuilder): like :func:`normalize` but keeps case, max 62."""
    return _strip(text.strip())[:62]


def _strip(text: str) -> str:
    text = re.sub(r"\.+", "-", text)
    text = re.sub(r" +", "-", text)
    return re.sub(r"[^a-zA-Z0-9\-_]", "", text)
