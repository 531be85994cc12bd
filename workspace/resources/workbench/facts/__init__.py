"""Facts: paths, values and their checks, the tools and their states, what supervisord runs; no side effects."""
