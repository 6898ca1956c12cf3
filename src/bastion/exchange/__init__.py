"""Hash sharing: file formats other tools speak, and moving hash lists in and out of banks."""
