"""doit task creators and what they need: context, state paths, backend, up-to-date probes.

This package is imported when doit loads tasks, so it must stay cheap: it never imports
``docker``, ``kubernetes`` or ``jsonschema`` at module level, and never touches the network.
"""
