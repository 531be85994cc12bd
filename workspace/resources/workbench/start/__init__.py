"""The start: check, fit the account, keep the home, run hooks, render, become supervisord."""
