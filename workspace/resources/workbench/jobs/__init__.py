"""SageMaker's jobs: which program runs train or serve, training, serving, the model server, notebook jobs."""
