"""What build.py runs, one module per job: shell (commands), project (what is built), options, engine (Docker and the
base image), images, lock, job_images (package), workspace (run) and checks (lint, test, bench). Standard library only,
so that it runs on a bare Debian host."""
