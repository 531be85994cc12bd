"""Docker from inside the workspace, against the host's engine (its socket mounted): the engine knows the host's
paths, not the workspace's, so what hands it paths has them made the host's here."""
