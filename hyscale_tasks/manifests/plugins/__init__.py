"""The manifest plugins. Their order is fixed in :mod:`hyscale_tasks.manifests.all_plugins`."""
