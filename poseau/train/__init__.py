"""Training: losses, the loop of plain functions, early stopping, the distributed set-up."""
