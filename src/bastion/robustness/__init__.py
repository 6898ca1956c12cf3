"""Detection robustness: a benchmark anyone can rerun of what a configuration catches when
re-uploads are cropped, padded, rotated, captioned and re-encoded (`transforms`, `photos`,
`evaluate`, `report`)."""
