"""Real-time collaboration (jupyter-collaboration): in every image, on only with WORKSPACE_COLLABORATION. Off, its
server extensions are not loaded and JupyterLab and Notebook leave its front-end out: its document provider would
otherwise open every notebook through a server extension that is not there."""

SERVER_EXTENSIONS = ("jupyter_server_ydoc", "jupyter_server_fileid")
LAB_EXTENSIONS = ("@jupyter/collaboration-extension", "@jupyter/docprovider-extension")
