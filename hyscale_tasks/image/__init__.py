"""Images: registry credentials, build, push and registry probes. The only user of ``docker``."""
