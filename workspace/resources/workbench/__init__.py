"""Workbench runtime: validates the environment, renders configuration and starts the services."""

__version__ = "0.1.0"
