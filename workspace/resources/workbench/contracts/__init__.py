"""Contracts: the settings a user gives, checked; the start command; what is rendered from them."""
