"""The tamper-evident audit log of the monitoring store (``ebpm.audit.log``)."""
