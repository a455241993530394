"""The ``hyscale.io/`` label and annotation keys: manifests/ writes them, cluster/ reads them.

The labels and the first two annotations are HyScale's (its tools and ours find a service's
objects by them); the others are what the deploy stage keeps on each object it applies
(cluster/objects.py).
"""

from __future__ import annotations

# On every object of a service.
APP_LABEL = "hyscale.io/app-name"
ENV_LABEL = "hyscale.io/environment-name"
SERVICE_LABEL = "hyscale.io/service-name"
VOLUME_LABEL = "hyscale.io/volume-name"  # on the claims of a StatefulSet's volumeClaimTemplates

# Written with the manifests.
SERVICE_SPEC_ANNOTATION = "hyscale.io/service-spec"  # the workload's spec, secrets left out
CHECKSUM_ANNOTATION = "hyscale.io/checksum"  # on the pod template: config changes roll the pods

# Written by the deploy stage on what it applies (LAST_APPLIED only by versions before
# server-side apply: now read only to take such objects over).
LAST_APPLIED = "hyscale.io/last-applied-configuration"
MANIFEST_DIGEST = "hyscale.io/manifest-digest"
SERVICE_DIGEST = "hyscale.io/service-manifests-digest"
APPLIED_KINDS = "hyscale.io/applied-kinds"
LAST_UPDATED = "hyscale.io/last-updated-at"
