"""Finding a service's profile the way HyScale's ``-P <name>`` does, minus its prefix quirk.

HyScale looks in the spec's folder and in its ``profiles/`` sub-folder for
``<profile>-<service>*.hprof``; that prefix match lets ``dev-web2.hprof`` claim service ``web``.
We match ``<profile>-<service>.hprof`` exactly. Finding one in both folders is an error, as in
HyScale, because it cannot be known which one the user meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hyscale_tasks.errors import HyscaleError


def profiles_not_found(services: Iterable[str]) -> str:
    """HyScale's words for services that have no profile of the name ``-P`` gives."""
    return f"Profile not found for services {','.join(services)}"


def several_profiles(service: str) -> str:
    """HyScale's words for a service that has more than one profile to choose from."""
    return f"Service {service} cannot have multiple profiles"


def profile_candidates(spec_dir: Path, profile: str, service: str) -> list[Path]:
    """Every existing ``<profile>-<service>.hprof`` in ``spec_dir`` and ``spec_dir/profiles``."""
    name = f"{profile}-{service}.hprof"
    # A symbolic link counts even when broken or a loop: loading it then says what is wrong.
    return [folder / name for folder in (spec_dir, spec_dir / "profiles")
            if (folder / name).is_file() or (folder / name).is_symlink()]


def find_profile(spec_dir: Path, profile: str, service: str) -> Path:
    """The one profile file of ``service`` for ``profile``, or a :class:`HyscaleError`."""
    found = profile_candidates(spec_dir, profile, service)
    if not found:
        raise HyscaleError(
            f"{profiles_not_found([service])}: no {profile}-{service}.hprof in "
            f"{spec_dir} or {spec_dir / 'profiles'}.",
            f"create that file (it needs 'environment: {profile}' and 'overrides: {service}'), "
            "or render without profile=.")
    if len(found) > 1:
        raise HyscaleError(
            f"{several_profiles(service)}: {found[0]} and {found[1]}.",
            "keep one of the two files.")
    return found[0]
