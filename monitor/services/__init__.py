"""The pipeline and the use cases around it: the only code that commits units of work."""
