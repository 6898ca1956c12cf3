"""The command line (`bastion`): a thin door over the pipeline."""
