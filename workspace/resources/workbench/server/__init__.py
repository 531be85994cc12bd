"""The Jupyter server extension and its handlers: the door's auth check, status, SSH, waking tools."""
